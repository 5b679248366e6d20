//! Tests of `cai.toml` profiles and of what the model flags resolve to.

use super::*;

const FILE: &str = r#"
[defaults]
model = "cluster"

[models.small]
path = "models/small.gguf"

[models.cluster]
endpoints = ["http://gpu1:8000/v1/", "http://gpu2:8000/v1"]
served_model = "llama-8b"
api_key_env = "CLUSTER_KEY"
max_in_flight = 16
continuation = "completions"
chat_template = "templates/llama.jinja"
timeout_s = 30
"#;

fn profiles() -> Profiles {
    Profiles::parse(FILE, Path::new("conf/cai.toml")).unwrap()
}

fn server(spec: &ModelSpec) -> &ServerConfig {
    match spec {
        ModelSpec::Server(c) => c,
        other => panic!("not a server model: {other:?}"),
    }
}

#[test]
fn profiles_read_local_and_server_models_with_paths_beside_the_file() {
    let p = profiles();
    assert_eq!(
        p.models["small"],
        ModelSpec::Local(PathBuf::from("conf/models/small.gguf"))
    );
    let c = server(&p.models["cluster"]);
    assert_eq!(
        c.endpoints,
        vec!["http://gpu1:8000/v1", "http://gpu2:8000/v1"]
    );
    assert_eq!(c.served_model.as_deref(), Some("llama-8b"));
    assert_eq!(c.api_key_env.as_deref(), Some("CLUSTER_KEY"));
    assert_eq!(c.max_in_flight, 16);
    assert_eq!(c.continuation, Continuation::Completions);
    assert_eq!(
        c.chat_template,
        Some(PathBuf::from("conf/templates/llama.jinja"))
    );
    assert_eq!(c.read_timeout, Duration::from_secs(30));
}

#[test]
fn mistakes_are_reported_with_file_line_and_column() {
    let cases = [
        ("[models.x]\npath = 3\n", "cai.toml:2:8"),
        (
            "[models.x]\nendpoints = [\"http://a/v1\"]\ncontinuation = \"guess\"\n",
            "[models.x] continuation \"guess\"",
        ),
        (
            "[models.x]\nbackend = \"openai\"\n",
            "at least one endpoint",
        ),
        (
            "[models.x]\nbackend = \"tgi\"\nendpoints = [\"http://a/v1\"]\n",
            "backend \"tgi\"",
        ),
        (
            "[models.x]\nnot_a_key = 1\npath = \"a.gguf\"\n",
            "unknown field `not_a_key`",
        ),
        (
            "[defaults]\nmodel = \"nope\"\n",
            "cai.toml:2:9: [defaults.model] no profile named \"nope\"",
        ),
        (
            "[models.x]\nendpoints = [\"gpu1:8000\"]\n",
            "write it as http://HOST:PORT/v1",
        ),
    ];
    for (text, expected) in cases {
        let e = Profiles::parse(text, Path::new("cai.toml")).unwrap_err();
        assert!(e.contains(expected), "{text:?}: {e}");
        assert!(e.starts_with("cai.toml:"), "{e}");
    }
}

#[test]
fn no_flags_use_the_file_defaults_and_feedback_follows_policy() {
    let plan = profiles().plan(&ModelFlags::default()).unwrap();
    assert_eq!(
        server(&plan.policy).served_model.as_deref(),
        Some("llama-8b")
    );
    assert_eq!(plan.feedback, plan.policy);
    let none = Profiles::default().plan(&ModelFlags::default()).unwrap();
    assert_eq!(none, ModelPlan::default());
}

#[test]
fn model_flags_name_profiles_or_files() {
    let p = profiles();
    let plan = p
        .plan(&ModelFlags {
            model: Some("small".into()),
            feedback_model: Some("cluster".into()),
            ..ModelFlags::default()
        })
        .unwrap();
    assert_eq!(plan.policy, p.models["small"]);
    assert_eq!(plan.feedback, p.models["cluster"]);
    let file = p
        .plan(&ModelFlags {
            model: Some("other.gguf".into()),
            ..ModelFlags::default()
        })
        .unwrap();
    assert_eq!(file.policy, ModelSpec::Local("other.gguf".into()));
    assert_eq!(
        file.feedback, file.policy,
        "the CLI's policy choice carries to feedback"
    );
}

#[test]
fn endpoints_alone_mean_a_server_model_for_both() {
    let plan = Profiles::default()
        .plan(&ModelFlags {
            endpoints: vec![
                "http://127.0.0.1:8080/v1".into(),
                "http://127.0.0.1:8081/v1".into(),
            ],
            served_model: Some("m".into()),
            max_in_flight: Some(2),
            ..ModelFlags::default()
        })
        .unwrap();
    let c = server(&plan.policy);
    assert_eq!(c.endpoints.len(), 2);
    assert_eq!(c.max_in_flight, 2);
    assert_eq!(c.served_model.as_deref(), Some("m"));
    assert_eq!(plan.feedback, plan.policy);
}

#[test]
fn conflicting_or_orphan_server_flags_are_errors() {
    let both = Profiles::default().plan(&ModelFlags {
        model: Some("a.gguf".into()),
        endpoints: vec!["http://a/v1".into()],
        ..ModelFlags::default()
    });
    assert!(both.unwrap_err().contains("--model and --endpoint"));
    let orphan = Profiles::default().plan(&ModelFlags {
        served_model: Some("m".into()),
        ..ModelFlags::default()
    });
    assert!(orphan.unwrap_err().contains("--served-model"));
}

#[test]
fn the_file_is_found_beside_the_constitution() {
    let dir = tempfile::tempdir().unwrap();
    let constitutions = dir.path().join("constitutions");
    std::fs::create_dir_all(&constitutions).unwrap();
    std::fs::write(
        constitutions.join(CONFIG_FILE),
        "[models.a]\npath = \"a.gguf\"\n",
    )
    .unwrap();
    let found = Profiles::find(None, Some(&constitutions.join("harmless.toml"))).unwrap();
    assert_eq!(
        found.models["a"],
        ModelSpec::Local(constitutions.join("a.gguf"))
    );
    let missing = Profiles::find(Some(&dir.path().join("nope.toml")), None);
    assert!(missing.unwrap_err().contains("cannot read"));
}
