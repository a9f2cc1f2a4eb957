//! The in-process completion wire shared by every model this crate runs itself (the test models
//! and the local GGUF model): the payload is rig's `CompletionRequest` as the agent built it, and
//! the reply is a stream of [`Chunk`]s that the decoder writes through rig's completion writer,
//! exactly as a hosted provider's decoder does. A model is then `Model<PoseyWire, Runtime>`,
//! which rig-agent drives like any provider, streaming or not.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use rig_core::completion::{CompletionRequest, FinishReason, Usage};
use rig_core::driver::{Exchange, Model, Opened, Opening, Transport};
use rig_core::error::{EncodeError, ProviderError};
use rig_core::message::Api;
use rig_core::operation::{Block, CallFragment, Completion, Finish};
use rig_core::wire::document::{Reassemble, Serves};
use rig_core::wire::{Capabilities, Decoder, Descriptor, Flow, Mode, Out, Wire, WireEvent};

/// The wire format name records and telemetry show for in-process models.
pub const POSEY_API: Api = Api::from_static("posey.in_process");

/// One step of an in-process model's reply.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Chunk {
    /// A piece of answer text, streamed as it is produced.
    Text(String),
    /// A whole tool call. `id` is the call id the model gives it.
    ToolCall { id: String, name: String, arguments: serde_json::Value },
    /// The end of the reply, with the tokens it took.
    End { usage: Usage, reason: FinishReason },
}

/// Usage with all three counters set, as every in-process model reports it.
pub fn usage(input_tokens: u64, output_tokens: u64) -> Usage {
    Usage::new()
        .input_tokens(input_tokens)
        .output_tokens(output_tokens)
        .total_tokens(input_tokens + output_tokens)
}

/// A reply in the making: what an in-process model returns for one request.
pub type ChunkStream = BoxStream<'static, Result<Chunk, ProviderError>>;

/// What an in-process model does: answer one request with a stream of chunks. The same stream
/// serves streaming and whole-reply calls; rig folds it into a response either way.
pub trait Generate: Send + Sync + 'static {
    fn generate(&self, request: CompletionRequest) -> ChunkStream;
}

/// The completion wire of in-process models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoseyWire {
    provider: String,
    model: String,
}

impl PoseyWire {
    /// A wire that records and telemetry name `provider` / `model`.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        Self { provider: provider.into(), model: model.into() }
    }
}

impl rig_core::completion::ReplayTarget for PoseyWire {
    fn api(&self) -> Api {
        POSEY_API
    }

    fn provider(&self) -> &str {
        &self.provider
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn accepts(&self, _model: &str) -> rig_core::completion::Accepts {
        rig_core::completion::Accepts::ALL
    }

    /// Always: an in-process model renders a history's calls and results itself, the same
    /// whether or not the request offers tools. (rig would write them as text for a request
    /// that offers none, so the local model's prompt, and the cache holding it, changed each
    /// time a conversation went from a message with tools to one without: the companion
    /// bench's turns evaluated their whole conversation again, 7 to 12 s each.)
    fn declares_tools(&self, _request: &CompletionRequest) -> bool {
        true
    }

    /// In-process models take the request's temperature and max tokens directly and ignore the
    /// provider-specific options, so every one of them is accepted and dropped.
    fn map_options(
        &self,
        _request: &CompletionRequest,
        fields: rig_core::completion::options::OptionFields<'_>,
    ) -> rig_core::completion::options::OptionMap {
        use rig_core::completion::options::{Mapping, OptionFields, OptionMap};
        let OptionFields {
            reasoning,
            cache,
            service_tier,
            verbosity,
            parallel_tool_calls,
            top_p,
            seed,
            stop,
        } = fields;
        let ignored = |set: bool| match set {
            true => Mapping::Omit("an in-process model ignores this option"),
            false => Mapping::Nothing,
        };
        OptionMap {
            reasoning: ignored(reasoning.is_some()),
            cache: ignored(cache.is_some()),
            service_tier: ignored(service_tier.is_some()),
            verbosity: ignored(verbosity.is_some()),
            parallel_tool_calls: ignored(parallel_tool_calls.is_some()),
            top_p: ignored(top_p.is_some()),
            seed: ignored(seed.is_some()),
            stop: ignored(!stop.is_empty()),
        }
    }
}

impl Wire for PoseyWire {
    type Op = Completion;
    type Payload = CompletionRequest;
    type Frame = Chunk;
    type Decoder<'id> = ChunkDecoder<'id>;
    type Reassembler = ChunkDocument;

    fn describe(&self) -> Descriptor<'_> {
        Descriptor::new(&self.provider)
            .model(Some(self.model.as_str()))
            .capabilities(Capabilities::default())
            .replay(self)
    }

    fn encode(
        &self,
        request: CompletionRequest,
        _mode: Mode,
    ) -> Result<CompletionRequest, EncodeError> {
        Ok(request)
    }

    fn decoder<'id>(&self) -> ChunkDecoder<'id> {
        ChunkDecoder::default()
    }
}

/// Writes each chunk through rig's completion writer.
#[derive(Default)]
pub struct ChunkDecoder<'id> {
    brand: std::marker::PhantomData<fn(&'id ()) -> &'id ()>,
}

impl<'id> Decoder<'id, Completion, Chunk> for ChunkDecoder<'id> {
    type Event = Chunk;

    fn classify(&self, frame: Chunk) -> WireEvent<Chunk> {
        WireEvent::Known(frame)
    }

    fn decode(
        &mut self,
        frame: Chunk,
        mut out: Out<'id, Completion>,
    ) -> Result<Flow, ProviderError> {
        match frame {
            Chunk::Text(text) => {
                out.run(Block::Text, &text)?;
                Ok(Flow::More)
            }
            Chunk::ToolCall { id, name, arguments } => {
                out.end_run()?;
                let index = out.fresh_index();
                out.fragment(
                    Some(index),
                    CallFragment {
                        id: Some(id.as_str()),
                        name: Some(name.as_str()),
                        ..CallFragment::default()
                    },
                )?;
                out.announce(index, arguments)?;
                out.finish(index)?;
                Ok(Flow::More)
            }
            Chunk::End { usage, reason } => {
                out.end_run()?;
                Ok(out.end(Finish { usage, reason: Some(reason), ..Finish::default() }))
            }
        }
    }
}

/// The reply document (`raw`) of an in-process reply: the text, calls and end it streamed.
#[derive(Debug, Default)]
pub struct ChunkDocument {
    text: String,
    tool_calls: Vec<serde_json::Value>,
    end: Option<serde_json::Value>,
}

impl Serves<Completion> for ChunkDocument {}

impl Reassemble<Chunk> for ChunkDocument {
    fn absorb(&mut self, frame: &Chunk) {
        match frame {
            Chunk::Text(text) => self.text.push_str(text),
            Chunk::ToolCall { id, name, arguments } => self
                .tool_calls
                .push(serde_json::json!({ "id": id, "name": name, "arguments": arguments })),
            Chunk::End { usage, reason } => {
                self.end = Some(serde_json::json!({ "usage": usage, "finish_reason": reason }));
            }
        }
    }

    fn finish(self) -> serde_json::Value {
        serde_json::json!({ "text": self.text, "tool_calls": self.tool_calls, "end": self.end })
    }
}

/// The transport of an in-process model: the model itself, behind an `Arc` so clones share it.
#[derive(Clone)]
pub struct Runtime(Arc<dyn Generate>);

impl Runtime {
    pub fn new(model: impl Generate) -> Self {
        Self(Arc::new(model))
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtime")
    }
}

impl Transport<PoseyWire> for Runtime {
    fn send(&self, request: CompletionRequest, _exchange: Exchange) -> Opening<Chunk> {
        // Nothing runs until rig polls the opening, as the transport contract asks.
        let model = Arc::clone(&self.0);
        Opening::new(async move { Ok(Opened::new(model.generate(request).boxed())) })
    }
}

/// An in-process model as rig sees it.
pub type InProcessModel = Model<PoseyWire, Runtime>;

/// Pairs the wire named `provider`/`model` with `generate` as its transport.
pub fn in_process(provider: &str, model: &str, generate: impl Generate) -> InProcessModel {
    Model::new(PoseyWire::new(provider, model), Runtime::new(generate))
}
