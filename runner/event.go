package runner

import (
	"context"
	"time"

	"github.com/go-arazzo/arazzo/expression"
)

// Event is something that happened during a run. Observers receive the
// concrete types below; switch on them.
type Event interface{ event() }

// Observer receives events as a run progresses. Observe is called
// synchronously from the goroutine running the workflow: keep it fast, and
// safe for concurrent use when one Runner runs workflows concurrently.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f.
func (f ObserverFunc) Observe(e Event) { f(e) }

// WorkflowStarted is sent when a workflow begins (after its inputs were
// validated).
type WorkflowStarted struct {
	WorkflowID string
	Inputs     map[string]any
	// Depth is 0 for a workflow the caller asked for, 1+ for nested ones.
	Depth int
	Time  time.Time
}

// WorkflowFinished is sent when a workflow ends, whatever its status.
type WorkflowFinished struct {
	Result *WorkflowResult
	Depth  int
}

// StepStarted is sent before each attempt of a step.
type StepStarted struct {
	WorkflowID string
	StepID     string
	Attempt    int // 1-based within this execution of the step
	// RetryLimit is the limit of the retry action being followed, 0 on a
	// first attempt.
	RetryLimit int
	Depth      int
}

// StepAttempt is sent after each attempt: the request, the response (nil on
// a transport error), the criteria outcomes and the verdict.
type StepAttempt struct {
	WorkflowID string
	StepID     string
	Attempt    int
	Request    *Request
	Response   *Response
	Err        error
	Criteria   []expression.Outcome
	Passed     bool
	Duration   time.Duration
	Depth      int
	// Replayed is true when the response came from the run's journal (a
	// resumed run) instead of the network.
	Replayed bool
}

// ActionTaken is sent when a success or failure action (or the default
// next/fail behaviour) is chosen after an attempt.
type ActionTaken struct {
	WorkflowID string
	StepID     string
	// Name is the action's name; empty for the default behaviour.
	Name string
	// Type is "next", "end", "goto", "retry" or "fail".
	Type string
	// Target is the goto/retry step or workflow id, if any.
	Target string
	Depth  int
}

// Waiting is sent before the runner waits (a retry delay).
type Waiting struct {
	WorkflowID string
	StepID     string
	Duration   time.Duration
	// Reason says where the delay came from: "retryAfter" or "Retry-After header".
	Reason  string
	Attempt int // the attempt that will follow the wait
	Limit   int // the retry limit
	Depth   int
}

// StepFinished is sent when a step execution is over (after its last attempt).
type StepFinished struct {
	WorkflowID string
	Result     *StepResult
	Depth      int
}

func (WorkflowStarted) event()  {}
func (WorkflowFinished) event() {}
func (StepStarted) event()      {}
func (StepAttempt) event()      {}
func (ActionTaken) event()      {}
func (Waiting) event()          {}
func (StepFinished) event()     {}

// Clock is the runner's source of time and waiting. Tests and
// durable-execution hosts replace it so that retries need no real sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever is first, and
	// returns ctx.Err() in the latter case.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or ctx.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
