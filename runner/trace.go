package runner

import "context"

// Tracer opens spans around workflows and step attempts, so that tracing
// (OpenTelemetry or another) can nest the HTTP client spans of a step's
// request under the attempt that sent it. Unlike an Observer, a Tracer
// sees and returns the context the work runs with.
//
// A nil Tracer costs nothing. Implementations must be safe for concurrent
// use.
type Tracer interface {
	// StartWorkflow is called when a workflow begins (after the checks
	// that can refuse it outright). The returned context is used for the
	// workflow's steps; end is called once with the final result.
	StartWorkflow(ctx context.Context, workflowID string, depth int) (_ context.Context, end func(*WorkflowResult))
	// StartAttempt is called before each attempt of a step; the returned
	// context is the one its request is sent with; end is called once
	// with the attempt's event.
	StartAttempt(ctx context.Context, workflowID, stepID string, attempt int) (_ context.Context, end func(*StepAttempt))
}
