package runner

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A Journal makes a run durable. The runner records every HTTP exchange
// (and every retry wait) under a key that is a pure function of the
// workflow's path through the run, so that a later run of the same
// workflows with the same inputs — a resume after a crash — reaches the
// same keys in the same order. Where the journal already holds the
// response for a key, the runner uses it instead of sending the request
// again: replay is deterministic, like a Temporal workflow's history.
//
// What a key holds decides what resume does with that request:
//
//   - EntryReceived or EntryFailed: the exchange is replayed from the
//     journal; nothing is sent.
//   - EntrySent only: the request was sent but the run stopped before its
//     outcome was recorded, so it may or may not have reached the server.
//     It is sent again only when that is safe (an idempotent method or an
//     Idempotency-Key header) or the caller allowed it (WithResendInDoubt);
//     otherwise the run stops with a KindInDoubt error naming the request.
//   - nothing: the request is sent as in a fresh run.
//
// Implementations must make Record durable before returning (the runner
// sends a non-idempotent request only after its EntrySent is recorded) and
// be safe for concurrent use (independent dependsOn workflows run
// concurrently).
type Journal interface {
	// Lookup returns the last entry recorded under key by an earlier run.
	Lookup(key string) (Entry, bool)
	// Record appends e durably.
	Record(e Entry) error
}

// EntryType says what a journal entry records.
type EntryType string

// Entry types.
const (
	// EntrySent: a non-idempotent request is about to be sent. Idempotent
	// requests are not recorded before sending: resending them is safe.
	EntrySent EntryType = "sent"
	// EntryReceived: the response to the request.
	EntryReceived EntryType = "received"
	// EntryFailed: the request got no response (a transport error).
	EntryFailed EntryType = "failed"
	// EntryWait: a retry wait began; Until is when it ends.
	EntryWait EntryType = "wait"
)

// Entry is one journal record. Key identifies the exchange within the run
// (see Journal); the other fields are what is needed to replay it and to
// tell a person what happened.
type Entry struct {
	Key        string    `json:"key"`
	Type       EntryType `json:"type"`
	WorkflowID string    `json:"workflowId,omitempty"`
	StepID     string    `json:"stepId,omitempty"`
	Attempt    int       `json:"attempt,omitempty"`
	// Method and URL are the request line (EntrySent, EntryReceived,
	// EntryFailed). A journal writer may mask secrets in URL: replay
	// rebuilds the request from the document and never reads it.
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
	// Response is set for EntryReceived.
	Response *Response `json:"response,omitempty"`
	// Error and Retries describe an EntryFailed; Timeout marks a step or
	// request timeout.
	Error   string `json:"error,omitempty"`
	Retries int    `json:"retries,omitempty"`
	Timeout bool   `json:"timeout,omitempty"`
	// Until is when an EntryWait ends.
	Until time.Time `json:"until,omitzero"`
	// Time is when the entry was recorded.
	Time time.Time `json:"time,omitzero"`
}

// RunOption configures one call of Run or RunAll.
type RunOption func(*runConfig)

type runConfig struct {
	journal       Journal
	resendInDoubt bool
	inputs        map[string]map[string]any
	inputOrder    func(map[string]any) []string
}

// WithInputOrder gives the written member order of the objects in the
// inputs (arazzo.DecodeValue returns one for an inputs file), so that an
// object input sent as a parameter or body keeps the order it was written
// in. Without it such objects are sent with their members sorted by name.
func WithInputOrder(memberOrder func(obj map[string]any) []string) RunOption {
	return func(c *runConfig) { c.inputOrder = memberOrder }
}

// WithWorkflowInputs gives inputs by workflow id for the workflows a Run
// reaches besides the one it starts: nested (workflowId steps), goto and
// retry targets, and dependsOn prerequisites. Values a step or action
// passes win over these. RunAll uses its own inputs argument this way.
func WithWorkflowInputs(inputs map[string]map[string]any) RunOption {
	return func(c *runConfig) { c.inputs = inputs }
}

// WithJournal records the run in j and replays what j already holds (see
// Journal).
func WithJournal(j Journal) RunOption { return func(c *runConfig) { c.journal = j } }

// WithResendInDoubt lets a resumed run send again a non-idempotent request
// whose outcome the journal does not know. Use it only after checking on
// the server that the first one did not take effect.
func WithResendInDoubt() RunOption { return func(c *runConfig) { c.resendInDoubt = true } }

// InDoubtError is the cause of a KindInDoubt failure: a request that was
// sent before the run was interrupted and whose outcome is unknown.
type InDoubtError struct {
	Method, URL string
	WorkflowID  string
	StepID      string
	Attempt     int
	Sent        time.Time
}

func (e *InDoubtError) Error() string {
	return fmt.Sprintf("%s %s (workflow %s, step %s, attempt %d) was sent at %s before the run was interrupted, and its response was not recorded: it may or may not have reached the server",
		e.Method, e.URL, e.WorkflowID, e.StepID, e.Attempt, e.Sent.Format(time.RFC3339))
}

// JournalError is the cause of a KindJournal failure: the journal could not
// record an entry, so the run stopped rather than go on without durability.
type JournalError struct{ Err error }

func (e *JournalError) Error() string { return "cannot write the run journal: " + e.Err.Error() }

// Unwrap returns the write error.
func (e *JournalError) Unwrap() error { return e.Err }

// exchange sends req, or, with a journal, resolves it against the journal:
// it returns the recorded outcome (and true), or sends it and records what
// happens. ctx is the attempt's context (with the step timeout); runCtx is
// the run's, whose cancellation leaves the outcome unknown rather than
// failed.
func (s *session) exchange(ctx, runCtx context.Context, run *workflowRun, seq int, stepID string, attempt int, req *Request) (*Response, error, bool) {
	j := s.cfg.journal
	if j == nil {
		resp, err := s.r.sender.Send(ctx, req)
		return resp, err, false
	}
	key := run.key(seq)
	base := Entry{Key: key, WorkflowID: run.wf.id, StepID: stepID, Attempt: attempt, Method: req.Method, URL: req.URL}
	if prev, ok := j.Lookup(key); ok {
		switch prev.Type {
		case EntryReceived:
			return prev.Response, nil, true
		case EntryFailed:
			return nil, &TransportError{Method: req.Method, URL: req.URL, Err: &recordedError{msg: prev.Error, timeout: prev.Timeout}, Retries: prev.Retries}, true
		case EntrySent:
			if !safeToResend(req) && !s.cfg.resendInDoubt {
				return nil, &InDoubtError{Method: req.Method, URL: prev.URL, WorkflowID: run.wf.id, StepID: stepID, Attempt: attempt, Sent: prev.Time}, true
			}
		}
	}
	now := s.r.opts.Clock.Now()
	if !safeToResend(req) {
		e := base
		e.Type, e.Time = EntrySent, now
		if err := j.Record(e); err != nil {
			return nil, &JournalError{Err: err}, false
		}
	}
	resp, err := s.r.sender.Send(ctx, req)
	if err != nil && runCtx.Err() != nil {
		// Cancelled by the caller: the outcome is unknown, and an
		// idempotent request will simply be sent again on resume.
		return resp, err, false
	}
	e := base
	e.Time = s.r.opts.Clock.Now()
	if err != nil {
		e.Type, e.Error, e.Timeout = EntryFailed, err.Error(), errors.Is(ctx.Err(), context.DeadlineExceeded)
		var te *TransportError
		if errors.As(err, &te) {
			e.Retries = te.Retries
		}
	} else {
		e.Type, e.Response = EntryReceived, resp
	}
	if jerr := j.Record(e); jerr != nil {
		return nil, &JournalError{Err: jerr}, false
	}
	return resp, err, false
}

// journalErrorKind classifies the errors only a journaled run produces.
func journalErrorKind(err error) ErrorKind {
	var inDoubt *InDoubtError
	var jerr *JournalError
	switch {
	case errors.As(err, &inDoubt):
		return KindInDoubt
	case errors.As(err, &jerr):
		return KindJournal
	}
	return ""
}

// recordedError is a transport error replayed from the journal.
type recordedError struct {
	msg     string
	timeout bool
}

func (e *recordedError) Error() string { return e.msg }

// Is lets a replayed timeout classify as one.
func (e *recordedError) Is(target error) bool { return e.timeout && target == context.DeadlineExceeded }

// safeToResend reports whether sending req twice is harmless.
func safeToResend(req *Request) bool {
	return idempotentMethods[req.Method] || req.Header.Get("Idempotency-Key") != ""
}

// waitFor returns how long a retry wait recorded under key has left, or
// records a new wait of d and returns d.
func (s *session) waitFor(key string, run *workflowRun, stepID string, d time.Duration) (time.Duration, error) {
	j := s.cfg.journal
	if j == nil {
		return d, nil
	}
	now := s.r.opts.Clock.Now()
	if prev, ok := j.Lookup(key); ok && prev.Type == EntryWait {
		return max(prev.Until.Sub(now), 0), nil
	}
	if err := j.Record(Entry{Key: key, Type: EntryWait, WorkflowID: run.wf.id, StepID: stepID, Until: now.Add(d), Time: now}); err != nil {
		return 0, &JournalError{Err: err}
	}
	return d, nil
}
