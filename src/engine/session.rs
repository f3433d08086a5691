//! Multi-turn sessions: a ticket starts a session, and the worker that took it sends the
//! session's turns as their parents finish.
//!
//! A turn is sent once every parent has finished, plus its think time. Its messages are the
//! conversation of its history parent (that parent's own history, its prompt and the
//! server's real reply) followed by its own prompt. Sibling turns of a branching graph are
//! in flight at the same time, each on its own connection. A turn whose parent failed is not
//! sent: its conversation would be missing a reply.
//!
//! Sessions in flight are bounded by the phase's workers, so `--concurrency` counts sessions
//! (a worker keeps its session through the think time), as vLLM's multi-turn benchmark does.
//! A request count counts turns (AIPerf's `--request-count`): each turn claims one from the
//! phase's budget before it is sent, so the last sessions may be cut short; whole sessions
//! are counted by [`crate::config::StopRule::Sessions`] (the dataset once, a trace replay).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::client::Connection;
use super::prefill::PrefillHold;
use super::record::Outcome;
use super::reply::append_assistant_message;
use super::session_table::{SessionTable, NS_PER_MS};
use super::sse::SseParser;
use super::worker::{perform, Arrivals, InFlight, PhaseState, Shared, Ticket, UNREACHABLE_PAUSE};
use crate::clock::now_ns;
use crate::config::{ConnectionReuse, EndpointType, SessionRouting};
use crate::dataset::TurnLinks;

/// A worker of a multi-turn phase: takes session tickets until the phase ends.
pub async fn run_session_worker(
    shared: Arc<Shared>,
    phase: Arc<PhaseState>,
    mut arrivals: Arrivals,
) {
    let Some(table) = shared.sessions.as_ref() else {
        return;
    };
    let mut state = SessionState::new(shared.targets.len());
    let sticky = shared
        .targets
        .first()
        .is_some_and(|t| t.reuse == ConnectionReuse::StickyUserSessions);
    while let Some(ticket) = arrivals.next(&phase).await {
        let session = (ticket.entry % table.spans.len() as u64) as usize;
        let user = arrivals.user_clock();
        state
            .run(&shared, table, &phase, session, ticket, user)
            .await;
        if sticky {
            // The session's connections end with its last turn.
            state.idle.iter_mut().for_each(Vec::clear);
        }
    }
}

/// A worker's reusable buffers, so sessions after the first allocate little.
struct SessionState {
    /// Idle connections per target.
    idle: Vec<Vec<Connection>>,
    parsers: Vec<SseParser>,
    body: BytesMut,
    /// Conversations of finished turns, back to back; `conversation[k]` indexes into it.
    text: Vec<u8>,
    conversation: Vec<(usize, usize)>,
    waiting_parents: Vec<usize>,
    done_ns: Vec<u64>,
    succeeded: Vec<bool>,
    request_index: Vec<u64>,
}

/// What a finished turn hands back to its session.
struct TurnDone {
    node: usize,
    target: usize,
    connection: Option<Connection>,
    parser: SseParser,
    /// The assistant message, when the turn succeeded.
    reply: Option<Vec<u8>>,
}

impl SessionState {
    fn new(targets: usize) -> Self {
        Self {
            idle: (0..targets).map(|_| Vec::new()).collect(),
            parsers: Vec::new(),
            body: BytesMut::with_capacity(16 * 1024),
            text: Vec::new(),
            conversation: Vec::new(),
            waiting_parents: Vec::new(),
            done_ns: Vec::new(),
            succeeded: Vec::new(),
            request_index: Vec::new(),
        }
    }

    async fn run(
        &mut self,
        shared: &Shared,
        table: &SessionTable,
        phase: &PhaseState,
        session: usize,
        ticket: Ticket,
        mut user: Option<&mut super::worker::UserClock>,
    ) {
        let span = table.spans[session];
        let first = span.first as usize;
        let links = &table.links[first..first + span.turns as usize];
        let turns = links.len();
        self.text.clear();
        self.conversation.clear();
        self.conversation.resize(turns, (0, 0));
        self.waiting_parents.clear();
        self.waiting_parents
            .extend(links.iter().map(|l| l.parents.len()));
        self.done_ns.clear();
        self.done_ns.resize(turns, 0);
        self.succeeded.clear();
        self.succeeded.resize(turns, false);
        self.request_index.clear();
        self.request_index.resize(turns, 0);
        let sticky_target = session % shared.targets.len();
        let start_ns = ticket.scheduled_ns;

        // A user's first turn goes at its ticket's instant, the later ones by its clock.
        let mut first_turn = true;
        let mut in_flight = FuturesUnordered::new();
        let mut ready: Vec<usize> = (0..turns)
            .filter(|&k| links[k].parents.is_empty())
            .collect();
        loop {
            for node in ready.drain(..) {
                let entry = first + node;
                let after_parents = links[node]
                    .parents
                    .iter()
                    .map(|&p| self.done_ns[p as usize])
                    .max()
                    .unwrap_or(start_ns);
                let mut due = after_parents + links[node].delay_ms * NS_PER_MS;
                if let Some(offset) = table.schedule_offsets_ns[entry] {
                    due = due.max(start_ns + offset);
                }
                if let Some(clock) = user.as_deref_mut() {
                    // The user's gap replaces the think time.
                    due = if first_turn {
                        start_ns
                    } else {
                        clock.take(after_parents)
                    };
                }
                first_turn = false;
                let history = match links[node].history {
                    Some(h) => {
                        let (from, to) = self.conversation[h as usize];
                        &self.text[from..to]
                    }
                    None => &[][..],
                };
                let body = table.bodies.assemble(&mut self.body, history, entry);
                // In worker mode each worker numbers its turns in its own residue class.
                let request_index =
                    (shared.share).ticket(shared.next_request.fetch_add(1, Ordering::Relaxed));
                self.request_index[node] = request_index;
                let target = match table.routing {
                    SessionRouting::Sticky => sticky_target,
                    SessionRouting::RoundRobin => {
                        (request_index % shared.targets.len() as u64) as usize
                    }
                };
                let turn = Turn {
                    node,
                    entry,
                    history_request: links[node].history.map(|h| self.request_index[h as usize]),
                    target,
                    request_index,
                    session: ticket.index,
                    due_ns: due,
                    body,
                    connection: self.idle[target].pop(),
                    parser: self.parsers.pop().unwrap_or_default(),
                };
                in_flight.push(send_turn(shared, phase, turn));
            }
            let Some(done) = in_flight.next().await else {
                break;
            };
            if let Some(connection) = done.connection {
                self.idle[done.target].push(connection);
            }
            self.parsers.push(done.parser);
            let node = done.node;
            self.done_ns[node] = now_ns();
            if let Some(reply) = done.reply {
                self.succeeded[node] = true;
                self.record_conversation(table, links, first, node, &reply);
            }
            for &child in &table.children[first + node] {
                let child = child as usize;
                let link = &links[child];
                self.waiting_parents[child] -= 1;
                if self.waiting_parents[child] == 0
                    && link.parents.iter().all(|&p| self.succeeded[p as usize])
                {
                    ready.push(child);
                }
            }
        }
    }

    /// Stores turn `node`'s conversation: its history, its prompt, then the reply.
    fn record_conversation(
        &mut self,
        table: &SessionTable,
        links: &[TurnLinks],
        first: usize,
        node: usize,
        reply: &[u8],
    ) {
        if table.bodies.is_verbatim() {
            return;
        }
        let start = self.text.len();
        if let Some(h) = links[node].history {
            let (from, to) = self.conversation[h as usize];
            self.text.extend_from_within(from..to);
            self.text.push(b',');
        }
        self.text.extend_from_slice(table.bodies.user(first + node));
        self.text.push(b',');
        self.text.extend_from_slice(reply);
        self.conversation[node] = (start, self.text.len());
    }
}

/// One turn, ready to go at its due time.
struct Turn {
    node: usize,
    entry: usize,
    history_request: Option<u64>,
    target: usize,
    request_index: u64,
    /// The session's ticket index: its id in `--session-header`.
    session: u64,
    due_ns: u64,
    body: Bytes,
    connection: Option<Connection>,
    parser: SseParser,
}

async fn send_turn(shared: &Shared, phase: &PhaseState, turn: Turn) -> TurnDone {
    let Turn {
        node,
        entry,
        history_request,
        target,
        request_index,
        session,
        due_ns,
        body,
        mut connection,
        mut parser,
    } = turn;
    super::pacer::sleep_until_ns(due_ns).await;
    let mut done = TurnDone {
        node,
        target,
        connection: None,
        parser: SseParser::new(),
        reply: None,
    };
    if !phase.allows(0, now_ns()) || !phase.claim_turn() {
        // The phase ended during the think time, or its request count was reached by other
        // sessions: the turn is never sent, and neither are the turns after it.
        done.connection = connection;
        done.parser = parser;
        return done;
    }
    phase.released.fetch_add(1, Ordering::Relaxed);
    let mut guard = InFlight::new(&shared.sink).await;
    {
        let record = guard.record();
        record.request_index = request_index;
        record.entry_index = entry as u32;
        record.history_request = history_request;
        record.phase_index = phase.phase_index;
        record.url_index = target as u16;
        record.scheduled_ns = due_ns;
        record.in_ramp = due_ns < phase.ramp_end_ns.load(Ordering::Relaxed);
    }
    let mut prefill = match &phase.prefill {
        Some(gate) => gate.enter().await,
        None => PrefillHold::none(),
    };
    let unreachable = perform(
        shared,
        target,
        body,
        session,
        &mut connection,
        &mut parser,
        &mut guard,
        &mut prefill,
    )
    .await;
    drop(prefill);
    let record = guard.record();
    let verbatim = shared
        .sessions
        .as_ref()
        .is_some_and(|t| t.bodies.is_verbatim());
    if record.outcome == Outcome::Success && verbatim {
        // The next turn's body holds its own conversation: nothing to keep of this reply.
        done.reply = Some(Vec::new());
    } else if record.outcome == Outcome::Success {
        let mut reply = Vec::with_capacity(record.body.len() / 2 + 64);
        let endpoint = shared.sessions.as_ref().map(|t| t.bodies.endpoint());
        append_assistant_message(endpoint.unwrap_or(EndpointType::Chat), record, &mut reply);
        done.reply = Some(reply);
    }
    guard.finish();
    if unreachable {
        tokio::time::sleep(UNREACHABLE_PAUSE).await;
    }
    done.connection = connection;
    done.parser = parser;
    done
}
