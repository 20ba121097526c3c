package runner

import (
	"fmt"
	"time"

	"github.com/go-arazzo/arazzo/expression"
)

// Status is the outcome of a workflow or step.
type Status string

// Statuses.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	// StatusCancelled: the run was stopped (context cancelled, Ctrl-C,
	// run timeout) before the workflow finished.
	StatusCancelled Status = "cancelled"
	// StatusSkipped: a step never ran (only in reports that list all steps).
	StatusSkipped Status = "skipped"
)

// ErrorKind classifies why a workflow failed. The values are part of the
// CLI's JSON contract.
type ErrorKind string

// Error kinds.
const (
	KindCriteria    ErrorKind = "criteria"     // success criteria did not pass and no action handled it
	KindTransport   ErrorKind = "transport"    // no HTTP response (refused, reset, timeout, body limit)
	KindTimeout     ErrorKind = "timeout"      // step or run timeout
	KindCancelled   ErrorKind = "cancelled"    // the context was cancelled
	KindEnd         ErrorKind = "end"          // a failure action of type end
	KindRetryLimit  ErrorKind = "retry-limit"  // retries exhausted and nothing else handled the failure
	KindStepBudget  ErrorKind = "step-budget"  // too many step executions (goto loop)
	KindRequest     ErrorKind = "request"      // the request could not be built (missing server, bad parameter)
	KindExpression  ErrorKind = "expression"   // a runtime expression could not be evaluated
	KindInputs      ErrorKind = "inputs"       // workflow inputs failed their JSON Schema
	KindDependency  ErrorKind = "dependency"   // a dependsOn prerequisite failed or did not run
	KindNesting     ErrorKind = "nesting"      // workflow nesting depth or cycle
	KindUnsupported ErrorKind = "unsupported"  // a step type this engine cannot execute yet
	KindWorkflow    ErrorKind = "workflow"     // a nested or goto-target workflow failed
	KindNotFound    ErrorKind = "not-found"    // unknown workflow id
	KindHost        ErrorKind = "host-refused" // a URL to a host the run was not told about
	KindDocument    ErrorKind = "document"     // the workflow cannot run: a reference or expression in it is broken
	KindInDoubt     ErrorKind = "in-doubt"     // resume: a non-idempotent request may or may not have reached the server
	KindJournal     ErrorKind = "journal"      // the run journal could not be written
)

// StepError explains why a workflow failed: which step, what kind of
// failure, the request, and the criteria that did not pass.
type StepError struct {
	WorkflowID string
	StepID     string // empty for workflow-level failures (inputs, dependencies)
	Kind       ErrorKind
	Message    string
	// Request is the request line of the last attempt ("GET http://…/x").
	Request    string
	StatusCode int // 0 when there was no response
	// Criteria holds the outcomes of the last attempt's criteria that did
	// not pass.
	Criteria []expression.Outcome
	// Hint suggests a fix, when there is an obvious one.
	Hint string
	Err  error
}

func (e *StepError) Error() string {
	where := e.WorkflowID
	if e.StepID != "" {
		where += "/" + e.StepID
	}
	msg := fmt.Sprintf("%s: %s", where, e.Message)
	if e.Request != "" {
		msg += " (" + e.Request
		if e.StatusCode != 0 {
			msg += fmt.Sprintf(" → %d", e.StatusCode)
		}
		msg += ")"
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *StepError) Unwrap() error { return e.Err }

// WorkflowResult is the outcome of one workflow run.
type WorkflowResult struct {
	WorkflowID string
	Status     Status
	Inputs     map[string]any
	Outputs    map[string]any
	// Steps holds one entry per step that ran, in order of first execution.
	// A step run several times (retries, goto loops) keeps one entry with
	// counters and the last attempt's details, so long polls use flat memory.
	Steps []*StepResult
	Error *StepError
	// TransferredTo is set when a goto moved control to another workflow:
	// that workflow's result, whose status became this one's.
	TransferredTo *WorkflowResult
	// Dependencies are the results of dependsOn workflows run first.
	Dependencies []*WorkflowResult
	Started      time.Time
	Duration     time.Duration
}

// StepResult is the outcome of one step.
type StepResult struct {
	StepID string
	Status Status
	// Executions counts how often the step was entered (goto loops).
	Executions int
	// Attempts counts requests sent (or nested runs) for the step,
	// including Arazzo retries, excluding transport retries.
	Attempts         int
	TransportRetries int
	// StatusCode of the last attempt; 0 when it got no response.
	StatusCode int
	// Request is the request line of the last attempt.
	Request string
	// Criteria are the success criteria outcomes of the last attempt.
	Criteria []expression.Outcome
	// Action names the action taken after the last attempt
	// ("goto restoreBackup", "retry", "end", "next").
	Action   string
	Outputs  map[string]any
	Error    string
	Duration time.Duration
	// Nested is the result of the workflow a workflowId step ran (last run).
	Nested *WorkflowResult
}
