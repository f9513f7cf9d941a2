//! Following standard input (a pipe, or `-`) or a named pipe (a FIFO, or a
//! shell's `<(kubectl logs -f …)`), and reading a compressed file once
//! (`paths.rs`): a stream read to its end. Stdin's first bytes
//! say whether it is compressed (`decode.rs`, magic bytes; read only as far
//! as they decide, so a live pipe's first line is not held back).
//!
//! A pipe can only be read with a blocking `read`, so stdin gets a thread of
//! its own (and so does each compressed file, decompressed in parallel with
//! the others): it never holds up the files, and never blocks an async worker.
//! It reads in large chunks — when a read comes back big, the writer is
//! ahead of us and the next read is made before cutting, so a fast producer
//! yields few large batches while a slow one sees each line promptly. At end
//! of input the last line is sent even without its newline, the input is
//! marked done, and the other inputs carry on.
//!
//! The thread cannot be interrupted inside `read`; on stop it is left to end
//! with the process (or at its next line, when it sees the stop).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::thread::JoinHandle;

use super::blocks::BLOCK;
use super::decode;
use super::lines::{Cutter, Sink, Stopped};
use crate::engine::{InputEvent, InputState, SourceId};

/// What stdin is said to be when it is neither text nor a known
/// compression.
pub(crate) const BINARY: &str = "binary, not text nor a gzip, zstd, bzip2 or xz stream: not read";

/// A read this big means more is waiting: read again before cutting.
const BIG_READ: usize = 16 * 1024;

pub(crate) fn spawn(
    source: SourceId,
    name: String,
    input: usize,
    reader: Box<dyn Read + Send>,
    sink: Sink,
    max_line: usize,
) -> io::Result<JoinHandle<()>> {
    spawn_stream(source, name, input, reader, sink, max_line, true)
}

/// Follows the named pipe (or character device) at `path` as stdin is
/// followed: a stream with no position and no rotation, read to its end.
/// Opening a FIFO waits for its writer, so it is opened on the reading
/// thread, never on the follower's.
pub(crate) fn spawn_pipe(
    source: SourceId,
    path: PathBuf,
    input: usize,
    sink: Sink,
    max_line: usize,
) -> io::Result<JoinHandle<()>> {
    let name = path.display().to_string();
    let reader = Box::new(OpenOnRead { path, file: None });
    spawn_stream(source, name, input, reader, sink, max_line, true)
}

/// A file opened at its first read.
struct OpenOnRead {
    path: PathBuf,
    file: Option<File>,
}

impl Read for OpenOnRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let f = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(File::open(&self.path)?),
        };
        f.read(buf)
    }
}

/// Reads `reader` to its end on a thread of its own as source `source`
/// (announced to the engine first when `announce`: stdin; a file's source
/// was announced by its path).
pub(crate) fn spawn_stream(
    source: SourceId,
    name: String,
    input: usize,
    reader: Box<dyn Read + Send>,
    sink: Sink,
    max_line: usize,
    announce: bool,
) -> io::Result<JoinHandle<()>> {
    let thread = if announce {
        "routetop-stdin"
    } else {
        "routetop-read-once"
    };
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            let _ = run(source, name, input, reader, &sink, max_line, announce);
        })
}

fn run(
    source: SourceId,
    name: String,
    input: usize,
    mut reader: Box<dyn Read + Send>,
    sink: &Sink,
    max_line: usize,
    announce: bool,
) -> Result<(), Stopped> {
    // What a message calls it: stdin by that word, a path by itself.
    let what = if announce && (name == "stdin" || name == "-") {
        "stdin".to_string()
    } else {
        name.clone()
    };
    if announce {
        sink.send(InputEvent::Added {
            source,
            name,
            input,
        })?;
        // A compressed stream (`cat access.log.gz | routetop`) is
        // decompressed, as `--once -` does; binary is said once, not read.
        let head = match decode::read_stream_head(&mut reader) {
            Ok(head) => head,
            Err(e) => {
                return sink.send(InputEvent::State {
                    source,
                    state: InputState::Closed(format!("reading {what}: {e}")),
                });
            }
        };
        let kind = decode::sniff(&head);
        reader = match decode::text_reader(kind, head, reader) {
            Some(r) => r,
            None => {
                return sink.send(InputEvent::State {
                    source,
                    state: InputState::Closed(BINARY.into()),
                });
            }
        };
    }
    sink.send(InputEvent::State {
        source,
        state: InputState::Following,
    })?;
    let mut buf = vec![0u8; BLOCK];
    let mut cut = Cutter::new(max_line);
    loop {
        let mut filled = cut.load(&mut buf);
        let mut eof = false;
        loop {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    filled += n;
                    if n < BIG_READ || buf.len() - filled < BIG_READ {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    cut.cut(&buf[..filled], source, sink, None)?;
                    cut.finish(source, sink, false, None)?;
                    return sink.send(InputEvent::State {
                        source,
                        state: InputState::Closed(format!("reading {what}: {e}")),
                    });
                }
            }
        }
        cut.cut(&buf[..filled], source, sink, None)?;
        if eof {
            cut.finish(source, sink, false, None)?;
            return sink.send(InputEvent::State {
                source,
                state: InputState::Done,
            });
        }
    }
}
