//! Small HTTP servers on loopback that misbehave on purpose (answer 500 or 429, hang, cut a
//! stream, leave out logprobs), or answer like an OpenAI-compatible server with canned text,
//! for the fault tests of the server backend. Each records the requests it saw.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub head: String,
    pub body: String,
}

/// What to answer to one request.
pub enum Reply {
    /// Bytes to write, then close.
    Raw(Vec<u8>),
    /// Write these pieces with a pause between them, then close (a stream cut short when the
    /// last piece is not the end).
    Pieces(Vec<Vec<u8>>, Duration),
    /// Never answer.
    Hang,
}

type Behaviour = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A running fake server; it stops when dropped.
pub struct FakeServer {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts a server on a free loopback port; `behaviour` gets each request and how many
    /// came before it. Must be called inside a tokio runtime.
    pub async fn start(
        behaviour: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, behaviour) = (log.clone(), behaviour.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, log, behaviour).await;
                });
            }
        });
        FakeServer {
            url: format!("http://127.0.0.1:{port}/v1"),
            seen,
            task,
        }
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests to paths ending in `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path.ends_with(suffix))
            .count()
    }
}

async fn serve(
    mut stream: TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
    behaviour: Arc<Behaviour>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let mut words = head.split_whitespace();
    let seen = Seen {
        method: words.next().unwrap_or_default().to_string(),
        path: words.next().unwrap_or_default().to_string(),
        body: String::from_utf8_lossy(&buffer[head_end..]).to_string(),
        head,
    };
    let before = {
        let mut log = log.lock().unwrap();
        log.push(seen.clone());
        log.len() - 1
    };
    match behaviour(&seen, before) {
        Reply::Raw(bytes) => stream.write_all(&bytes).await?,
        Reply::Pieces(pieces, pause) => {
            for piece in pieces {
                stream.write_all(&piece).await?;
                stream.flush().await?;
                tokio::time::sleep(pause).await;
            }
        }
        Reply::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
    }
    stream.shutdown().await
}

/// A complete HTTP response with a JSON body.
pub fn json(status: u16, body: &serde_json::Value) -> Reply {
    Reply::Raw(response(
        status,
        "application/json",
        &[],
        body.to_string().as_bytes(),
    ))
}

/// A complete HTTP response.
pub fn response(status: u16, content_type: &str, extra: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// The server-sent events of a streamed chat answer made of `words`.
pub fn sse_events(words: &[&str], done: bool) -> Vec<Vec<u8>> {
    let mut events: Vec<Vec<u8>> = words
        .iter()
        .map(|w| {
            let chunk = serde_json::json!({"choices":[{"index":0,"delta":{"content":w},"finish_reason":null}]});
            format!("data: {chunk}\n\n").into_bytes()
        })
        .collect();
    if done {
        let end = serde_json::json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":7,"completion_tokens":words.len()}});
        events.push(format!("data: {end}\n\ndata: [DONE]\n\n").into_bytes());
    }
    events
}

/// The head of a streamed (chunked-less, closed at the end) event-stream response.
pub fn sse_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n".to_vec()
}

/// A one-token chat answer with top logprobs for A and B (P(A) = `p_a`).
pub fn option_answer(p_a: f64) -> serde_json::Value {
    serde_json::json!({"choices":[{"index":0,"message":{"role":"assistant","content":"A"},
        "logprobs":{"content":[{"token":"A","logprob":p_a.ln(),"top_logprobs":[
            {"token":"A","logprob":p_a.ln()},{"token":"B","logprob":(1.0-p_a).ln()}]}]},
        "finish_reason":"length"}]})
}

/// A server that behaves: lists model `m`, streams "All good here." for chats and answers
/// option questions with P(A) = 0.7.
pub fn well_behaved(seen: &Seen, _before: usize) -> Reply {
    if seen.path.ends_with("/models") {
        return json(
            200,
            &serde_json::json!({"object":"list","data":[{"id":"m"}]}),
        );
    }
    if seen.body.contains("\"logprobs\":true") {
        return json(200, &option_answer(0.7));
    }
    let mut pieces = vec![sse_head()];
    pieces.extend(sse_events(&["All", " good", " here."], true));
    Reply::Pieces(pieces, Duration::from_millis(1))
}
