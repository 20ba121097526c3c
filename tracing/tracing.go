// Package tracing traces workflow runs with OpenTelemetry: a span per
// workflow, a span per step attempt nested in it, and an HTTP client span
// per request nested in the attempt that sent it.
//
//	arazzo.workflow backup-and-restore-database
//	├── arazzo.step createBackup          (attempt 1)
//	│   └── POST                          (HTTP client span)
//	├── arazzo.step pollBackup            (attempt 1)
//	│   └── GET
//	├── arazzo.step pollBackup            (attempt 2)
//	│   └── GET
//	└── …
//
// Use New with any trace.TracerProvider, or FromEnv to export over OTLP
// when the standard OpenTelemetry environment variables ask for it:
//
//	t, shutdown, err := tracing.FromEnv(ctx, "my-service", "1.0.0")
//	if err != nil { … }
//	defer shutdown(context.Background())
//	var opts []engine.Option
//	if t != nil {
//		opts = append(opts, engine.WithTracer(t))
//	}
//
// Spans carry ids, counters, statuses and error kinds, never header
// values, bodies or query values: URLs are recorded with their query
// values and passwords replaced by "***".
package tracing

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/go-arazzo/arazzo/internal/redact"
	"github.com/go-arazzo/arazzo/runner"
)

// ScopeName is the instrumentation scope of the spans this package creates.
const ScopeName = "github.com/go-arazzo/arazzo/tracing"

// Attribute keys of workflow and step spans.
const (
	AttrWorkflowID     = attribute.Key("arazzo.workflow.id")
	AttrWorkflowDepth  = attribute.Key("arazzo.workflow.depth")
	AttrWorkflowStatus = attribute.Key("arazzo.workflow.status")
	AttrStepID         = attribute.Key("arazzo.step.id")
	AttrStepAttempt    = attribute.Key("arazzo.step.attempt")
	AttrStepPassed     = attribute.Key("arazzo.step.passed")
	AttrCriteriaFailed = attribute.Key("arazzo.step.criteria_failed")
	// AttrStepReplayed is set on attempts a resumed run took from its
	// journal instead of sending them again.
	AttrStepReplayed = attribute.Key("arazzo.step.replayed")
	AttrErrorKind    = attribute.Key("arazzo.error.kind")
	AttrErrorStep    = attribute.Key("arazzo.error.step")
)

// Semantic-convention keys of HTTP client spans (and of the status code on
// attempt spans).
const (
	AttrHTTPMethod     = attribute.Key("http.request.method")
	AttrHTTPStatusCode = attribute.Key("http.response.status_code")
	AttrURLFull        = attribute.Key("url.full")
	AttrServerAddress  = attribute.Key("server.address")
	AttrServerPort     = attribute.Key("server.port")
	AttrErrorType      = attribute.Key("error.type")
)

// Tracer is an OpenTelemetry runner.Tracer. Pass it to engine.WithTracer,
// which also routes step requests through WrapTransport so that their HTTP
// client spans nest under the attempt spans. It is safe for concurrent
// use. A nil *Tracer traces nothing.
type Tracer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// Option configures New.
type Option func(*Tracer)

// WithPropagator sets how the trace context is sent to the APIs a workflow
// calls (default: W3C Trace Context, the traceparent header). nil sends
// nothing.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(t *Tracer) { t.prop = p }
}

// New returns a Tracer creating spans with tp.
func New(tp trace.TracerProvider, opts ...Option) *Tracer {
	t := &Tracer{
		tracer: tp.Tracer(ScopeName),
		prop:   propagation.TraceContext{},
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

var _ runner.Tracer = (*Tracer)(nil)

// StartWorkflow implements runner.Tracer: it opens the span
// "arazzo.workflow <id>", ended with the workflow's status and, on
// failure, the error kind and failing step.
func (t *Tracer) StartWorkflow(ctx context.Context, workflowID string, depth int) (context.Context, func(*runner.WorkflowResult)) {
	if t == nil {
		return ctx, func(*runner.WorkflowResult) {}
	}
	ctx, span := t.tracer.Start(ctx, "arazzo.workflow "+workflowID,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(AttrWorkflowID.String(workflowID), AttrWorkflowDepth.Int(depth)))
	return ctx, func(res *runner.WorkflowResult) {
		defer span.End()
		if res == nil {
			return
		}
		span.SetAttributes(AttrWorkflowStatus.String(string(res.Status)))
		if res.Status == runner.StatusSucceeded {
			return
		}
		desc := "workflow " + string(res.Status)
		if e := res.Error; e != nil {
			span.SetAttributes(AttrErrorKind.String(string(e.Kind)))
			desc += ": " + string(e.Kind)
			if e.StepID != "" {
				span.SetAttributes(AttrErrorStep.String(e.StepID))
				desc += " at step " + e.StepID
			}
		}
		span.SetStatus(codes.Error, desc)
	}
}

// StartAttempt implements runner.Tracer: it opens the span
// "arazzo.step <id>" for one attempt, ended with the status code, the
// verdict and the number of failed criteria.
func (t *Tracer) StartAttempt(ctx context.Context, workflowID, stepID string, attempt int) (context.Context, func(*runner.StepAttempt)) {
	if t == nil {
		return ctx, func(*runner.StepAttempt) {}
	}
	ctx, span := t.tracer.Start(ctx, "arazzo.step "+stepID,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(AttrWorkflowID.String(workflowID), AttrStepID.String(stepID), AttrStepAttempt.Int(attempt)))
	return ctx, func(ev *runner.StepAttempt) {
		defer span.End()
		if ev == nil {
			return
		}
		failed := 0
		for _, o := range ev.Criteria {
			if !o.Passed {
				failed++
			}
		}
		span.SetAttributes(AttrStepPassed.Bool(ev.Passed), AttrCriteriaFailed.Int(failed))
		if ev.Replayed {
			span.SetAttributes(AttrStepReplayed.Bool(true))
		}
		if ev.Response != nil {
			span.SetAttributes(AttrHTTPStatusCode.Int(ev.Response.StatusCode))
		}
		if ev.Passed {
			return
		}
		kind := attemptErrorType(ev.Err)
		span.SetAttributes(AttrErrorType.String(kind))
		desc := kind
		switch {
		case ev.Err == nil && failed > 0:
			desc = strconv.Itoa(failed) + " success criteria not met"
		case ev.Err == nil && ev.Response != nil:
			desc = "HTTP " + strconv.Itoa(ev.Response.StatusCode)
		}
		span.SetStatus(codes.Error, desc)
	}
}

// attemptErrorType classifies a failed attempt without quoting its error
// message, which may contain URLs or response values.
func attemptErrorType(err error) string {
	var te *runner.TransportError
	var se *runner.StepError
	switch {
	case err == nil:
		return "criteria"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &te):
		return "transport"
	case errors.As(err, &se):
		return string(se.Kind)
	}
	return "error"
}

// WrapTransport returns a RoundTripper that sends each request through rt
// (http.DefaultTransport when nil) inside an HTTP client span, a child of
// the span in the request's context, and propagates the trace context in
// the request headers.
func (t *Tracer) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t == nil {
		return rt
	}
	return &transport{t: t, next: rt}
}

type transport struct {
	t    *Tracer
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	attrs := []attribute.KeyValue{
		AttrHTTPMethod.String(req.Method),
		AttrURLFull.String(redact.URL(req.URL.String())),
		AttrServerAddress.String(req.URL.Hostname()),
	}
	if port := portOf(req); port > 0 {
		attrs = append(attrs, AttrServerPort.Int(port))
	}
	ctx, span := tr.t.tracer.Start(req.Context(), req.Method,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if tr.t.prop != nil {
		// A RoundTripper must not modify the caller's request.
		req = req.Clone(ctx)
		tr.t.prop.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		kind := "transport"
		if errors.Is(err, context.DeadlineExceeded) {
			kind = "timeout"
		} else if errors.Is(err, context.Canceled) {
			kind = "cancelled"
		}
		span.SetAttributes(AttrErrorType.String(kind))
		span.SetStatus(codes.Error, kind)
		span.End()
		return nil, err
	}
	span.SetAttributes(AttrHTTPStatusCode.Int(resp.StatusCode))
	if resp.StatusCode >= 400 {
		code := strconv.Itoa(resp.StatusCode)
		span.SetAttributes(AttrErrorType.String(code))
		span.SetStatus(codes.Error, "HTTP "+code)
	}
	// The span lasts until the body is read or closed.
	if resp.Body == nil || resp.Body == http.NoBody {
		span.End()
		return resp, nil
	}
	resp.Body = &spanBody{ReadCloser: resp.Body, span: span}
	return resp, nil
}

// spanBody ends its span at the end of the body or when it is closed,
// whichever is first.
type spanBody struct {
	io.ReadCloser
	span trace.Span
	once sync.Once
}

func (b *spanBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.end()
	}
	return n, err
}

func (b *spanBody) Close() error {
	err := b.ReadCloser.Close()
	b.end()
	return err
}

func (b *spanBody) end() { b.once.Do(func() { b.span.End() }) }

func portOf(req *http.Request) int {
	if p := req.URL.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	switch req.URL.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}
