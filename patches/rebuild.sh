#!/usr/bin/env bash
# Rebuilds the vendored crates under patches/ from the released crates and their patch series
# (patches/<crate>/NNNN-*.patch, applied in order). See patches/README.md.
#
#   patches/rebuild.sh [CRATE...]          rewrite patches/<crate> from the release and its patches
#   patches/rebuild.sh --check [CRATE...]  rebuild into a temporary directory and compare (CI)
#   patches/rebuild.sh unpack CRATE DIR [--onto VERSION]
#                                          a git repository in DIR: the release, then one commit
#                                          per patch (its header as the message); with --onto,
#                                          the patches rebased onto another release
#   patches/rebuild.sh pack CRATE DIR      the commits of DIR back into patch files, and the tree
#
# The released crates come from the package registry through cargo: a throwaway project that
# depends on the exact version, `cargo fetch`, then the .crate file cargo keeps in its cache.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# The release each series applies to. Moving to a new release: patches/README.md.
declare -A RELEASE=([candle-core]=0.10.2 [mistralrs-core]=0.8.1)
CRATES=(candle-core mistralrs-core)
SERIES_GLOB='[0-9][0-9][0-9][0-9]-*.patch'

die() {
  echo "rebuild.sh: $*" >&2
  exit 1
}

# The .crate file of NAME VERSION in cargo's download cache, fetched first if it is not there.
released_crate() {
  local name=$1 version=$2 cache found tmp
  cache="${CARGO_HOME:-$HOME/.cargo}/registry/cache"
  found=$(compgen -G "$cache/*/$name-$version.crate" | head -n 1 || true)
  if [ -z "$found" ]; then
    tmp=$(mktemp -d)
    mkdir "$tmp/src"
    : >"$tmp/src/lib.rs"
    printf '[package]\nname = "fetch-released"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n%s = "=%s"\n' \
      "$name" "$version" >"$tmp/Cargo.toml"
    (cd "$tmp" && cargo fetch --quiet --target "$(rustc -vV | sed -n 's/^host: //p')") ||
      die "cargo could not fetch $name $version"
    rm -rf "$tmp"
    found=$(compgen -G "$cache/*/$name-$version.crate" | head -n 1 || true)
  fi
  [ -n "$found" ] || die "no $name-$version.crate in $cache after cargo fetch"
  echo "$found"
}

# Drops the sections of the crate's Cargo.toml that name the left-out tests, examples and
# benches, and the dev-dependencies only they use.
strip_manifest() {
  awk '
    /^\[/ { drop = ($0 ~ /^\[\[(test|example|bench)\]\]$/ || $0 ~ /^\[(target\..*\.)?dev-dependencies(\..*)?\]$/) }
    !drop
  ' "$1" >"$1.stripped"
  mv "$1.stripped" "$1"
}

# NAME VERSION as vendored into DEST (which must not exist): the released crate without its
# tests, examples, benches, lock file and packaging files.
vendor_release() {
  local name=$1 version=$2 dest=$3 crate tmp
  crate=$(released_crate "$name" "$version")
  tmp=$(mktemp -d)
  tar -xzf "$crate" -C "$tmp"
  mv "$tmp/$name-$version" "$dest"
  rmdir "$tmp"
  rm -rf "$dest"/{tests,examples,benches,Cargo.lock,Cargo.toml.orig,.cargo_vcs_info.json,.cargo-ok}
  strip_manifest "$dest/Cargo.toml"
}

series() {
  compgen -G "$here/$1/$SERIES_GLOB" | sort || true
}

# The header of a patch file (what comes before its first diff), and its diff.
header() { sed '/^diff --git /,$d' "$1"; }

# NAME into DEST (which must not exist): the release plus every patch of the series.
build_tree() {
  local name=$1 dest=$2 patch
  vendor_release "$name" "${RELEASE[$name]}" "$dest"
  for patch in $(series "$name"); do
    (cd "$dest" && GIT_DIR=/nonexistent git apply --whitespace=nowarn "$patch") ||
      die "$(basename "$patch") does not apply to $name ${RELEASE[$name]} (with the patches before it)"
  done
}

# Makes TO's files those of FROM, keeping TO's patch files, and the modification times of files
# that do not change (so that cargo rebuilds only what did).
sync_tree() {
  local from=$1 to=$2 file
  while IFS= read -r file; do
    if ! cmp -s "$from/$file" "$to/$file"; then
      mkdir -p "$(dirname "$to/$file")"
      cp --preserve=mode "$from/$file" "$to/$file"
      echo "  wrote $file"
    fi
  done < <(cd "$from" && find . -type f | sed 's|^\./||' | sort)
  while IFS= read -r file; do
    if [ ! -e "$from/$file" ]; then
      rm "$to/$file"
      echo "  removed $file"
    fi
  done < <(cd "$to" && find . -type f ! -name "$SERIES_GLOB" | sed 's|^\./||' | sort)
  find "$to" -mindepth 1 -type d -empty -delete
}

check() {
  local name=$1 work=$2
  build_tree "$name" "$work/$name"
  if diff -r -u -N -x "$SERIES_GLOB" "$work/$name" "$here/$name" >"$work/$name.diff"; then
    echo "patches/$name is $name ${RELEASE[$name]} with its $(series "$name" | wc -l) patches, byte for byte"
  else
    echo "patches/$name is not $name ${RELEASE[$name]} with its patches:" >&2
    sed "s|$work/$name|rebuilt|; s|$here/|patches/|" "$work/$name.diff" | head -n 60 >&2
    echo "Every change to a vendored crate is a patch file: see patches/README.md." >&2
    return 1
  fi
}

write() {
  local name=$1 work=$2
  build_tree "$name" "$work/$name"
  echo "patches/$name: $name ${RELEASE[$name]} with $(series "$name" | wc -l) patches"
  sync_tree "$work/$name" "$here/$name"
}

# A git repository in DIR: the release as the first commit (tag `released`), then one commit per
# patch. With --onto VERSION, that release is committed on top of the old one (tag `onto`) and
# the patch commits rebased onto it; conflicts stop the rebase for you to resolve in DIR.
unpack() {
  local name=$1 dir=$2 onto=${3:-} patch version=${RELEASE[$1]}
  [ ! -e "$dir" ] || die "$dir exists"
  vendor_release "$name" "$version" "$dir"
  git -C "$dir" init -q -b patched
  git -C "$dir" add -A
  git -C "$dir" commit -q -m "$name $version as released (tests, examples and benches left out)"
  git -C "$dir" tag released
  for patch in $(series "$name"); do
    git -C "$dir" apply --index --whitespace=nowarn "$patch"
    header "$patch" | git -C "$dir" commit -q -F -
  done
  if [ -n "$onto" ]; then
    local tmp
    tmp=$(mktemp -d)
    vendor_release "$name" "$onto" "$tmp/$name"
    git -C "$dir" switch -q --detach released
    git -C "$dir" rm -q -r .
    cp -a "$tmp/$name/." "$dir/"
    rm -rf "$tmp"
    git -C "$dir" add -A
    git -C "$dir" commit -q -m "$name $onto as released (tests, examples and benches left out)"
    git -C "$dir" tag onto
    git -C "$dir" switch -q patched
    git -C "$dir" rebase -q --onto onto released patched ||
      die "a patch conflicts with $name $onto: resolve it in $dir (git status), git rebase --continue, then pack"
  fi
  local base
  base=$(git -C "$dir" describe --tags --abbrev=0)
  echo "$dir: $(git -C "$dir" log -1 --format=%s "$base" | cut -d' ' -f1,2) (tag $base), then $(git -C "$dir" rev-list --count "$base"..HEAD) patch commits"
}

# The file name of a patch: its number and its subject in lower case, words joined by hyphens.
patch_name() {
  local slug
  slug=$(echo "$2" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')
  [ ${#slug} -le 60 ] || slug=$(echo "$slug" | cut -c1-61 | sed 's/-[^-]*$//')
  printf '%04d-%s.patch' "$1" "$slug"
}

pack() {
  local name=$1 dir=$2 base version n=0 commit
  base=$(git -C "$dir" describe --tags --abbrev=0)
  version=$(git -C "$dir" log -1 --format=%s "$base" | awk '{print $2}')
  rm -f $(series "$name")
  for commit in $(git -C "$dir" rev-list --reverse "$base"..HEAD); do
    n=$((n + 1))
    local file
    file="$here/$name/$(patch_name "$n" "$(git -C "$dir" log -1 --format=%s "$commit")")"
    {
      git -C "$dir" log -1 --format=%B "$commit" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
      echo
      git -C "$dir" show --format= --no-color --no-renames "$commit"
    } >"$file"
    echo "  $(basename "$file") ($(wc -l <"$file") lines)"
  done
  if [ "$version" != "${RELEASE[$name]}" ]; then
    sed -i "s/\[$name\]=${RELEASE[$name]}/[$name]=$version/" "$0"
    RELEASE[$name]=$version
    echo "$name is now at $version: set the same version in Cargo.toml's dependencies."
  fi
  local work
  work=$(mktemp -d)
  write "$name" "$work"
  rm -rf "$work"
}

known() {
  [ -n "${RELEASE[$1]:-}" ] || die "unknown crate $1 (known: ${CRATES[*]})"
}

export GIT_CEILING_DIRECTORIES=${TMPDIR:-/tmp}
case "${1:-}" in
  unpack)
    [ $# -ge 3 ] || die "usage: rebuild.sh unpack CRATE DIR [--onto VERSION]"
    known "$2"
    onto=
    [ "${4:-}" = --onto ] && onto=${5:?--onto needs a version}
    unpack "$2" "$3" "$onto"
    ;;
  pack)
    [ $# -eq 3 ] || die "usage: rebuild.sh pack CRATE DIR"
    known "$2"
    pack "$2" "$3"
    ;;
  *)
    mode=write
    if [ "${1:-}" = --check ]; then
      mode=check
      shift
    fi
    [ $# -gt 0 ] || set -- "${CRATES[@]}"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    status=0
    for name in "$@"; do
      known "$name"
      "$mode" "$name" "$work" || status=1
    done
    exit $status
    ;;
esac
