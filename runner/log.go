package runner

import (
	"context"
	"errors"
	"log/slog"
	"net/url"

	"github.com/go-arazzo/arazzo/internal/redact"
)

// logObserver writes Options.Logger's debug logs: one line per workflow
// start and end, step attempt (request line, status, verdict), action and
// wait. It logs no header values, bodies, inputs or resolved criteria
// values, and URLs with their query values and passwords masked: logs
// often end up where secrets must not.
type logObserver struct{ l *slog.Logger }

// withLogger adds the debug logs of l to o.
func withLogger(o Observer, l *slog.Logger) Observer {
	if l == nil {
		return o
	}
	lo := logObserver{l: l}
	if o == nil {
		return lo
	}
	return ObserverFunc(func(e Event) { o.Observe(e); lo.Observe(e) })
}

// Observe implements Observer.
func (o logObserver) Observe(e Event) {
	ctx := context.Background()
	if !o.l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	log := func(msg string, attrs ...slog.Attr) { o.l.LogAttrs(ctx, slog.LevelDebug, msg, attrs...) }
	switch e := e.(type) {
	case WorkflowStarted:
		log("workflow started", slog.String("workflow", e.WorkflowID), slog.Int("depth", e.Depth))
	case StepAttempt:
		attrs := []slog.Attr{slog.String("workflow", e.WorkflowID), slog.String("step", e.StepID), slog.Int("attempt", e.Attempt)}
		if e.Request != nil {
			attrs = append(attrs, slog.String("request", e.Request.Method+" "+redact.URL(e.Request.URL)))
		}
		if e.Response != nil {
			attrs = append(attrs, slog.Int("status", e.Response.StatusCode))
		}
		attrs = append(attrs, slog.Bool("passed", e.Passed), slog.Duration("duration", e.Duration))
		if e.Replayed {
			attrs = append(attrs, slog.Bool("replayed", true))
		}
		var failed []string
		for _, c := range e.Criteria {
			if !c.Passed {
				failed = append(failed, c.Condition)
			}
		}
		if len(failed) > 0 {
			attrs = append(attrs, slog.Any("failedCriteria", failed))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("error", logError(e.Err)))
		}
		log("step attempt", attrs...)
	case ActionTaken:
		attrs := []slog.Attr{slog.String("workflow", e.WorkflowID), slog.String("step", e.StepID), slog.String("type", e.Type)}
		if e.Name != "" {
			attrs = append(attrs, slog.String("name", e.Name))
		}
		if e.Target != "" {
			attrs = append(attrs, slog.String("target", e.Target))
		}
		log("action", attrs...)
	case Waiting:
		log("waiting", slog.String("workflow", e.WorkflowID), slog.String("step", e.StepID),
			slog.Duration("duration", e.Duration), slog.String("reason", e.Reason),
			slog.Int("nextAttempt", e.Attempt), slog.Int("limit", e.Limit))
	case WorkflowFinished:
		if e.Result == nil {
			return
		}
		attrs := []slog.Attr{slog.String("workflow", e.Result.WorkflowID), slog.String("status", string(e.Result.Status)),
			slog.Duration("duration", e.Result.Duration)}
		if se := e.Result.Error; se != nil {
			attrs = append(attrs, slog.String("errorKind", string(se.Kind)))
			if se.StepID != "" {
				attrs = append(attrs, slog.String("errorStep", se.StepID))
			}
		}
		log("workflow finished", attrs...)
	}
}

// logError describes an attempt's error without text that may quote
// request or response values: the cause of a transport error (which names
// no URL), else the error's kind.
func logError(err error) string {
	var te *TransportError
	var se *StepError
	switch {
	case errors.As(err, &te):
		var ue *url.Error
		if errors.As(te.Err, &ue) {
			return ue.Op + ": " + ue.Err.Error()
		}
		return te.Err.Error()
	case errors.As(err, &se):
		return "nested workflow: " + string(se.Kind)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "request or expression error (see the step's result)"
}
