package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/tracing"
)

// traceFlushTimeout bounds how long a run waits at exit for its spans to
// reach the collector.
const traceFlushTimeout = 5 * time.Second

// setupTracing returns the engine option that traces runs with
// OpenTelemetry when the standard OTEL_* environment asks for it (see
// tracing.Enabled), and the function that flushes the spans at exit.
// Without those variables nothing is set up. A tracing configuration
// error is a warning: the run goes ahead untraced.
func setupTracing(stderr io.Writer) ([]engine.Option, func()) {
	if !tracing.Enabled() {
		return nil, func() {}
	}
	t, shutdown, err := tracing.FromEnv(context.Background(), "arazzo", version)
	if err != nil {
		fmt.Fprintf(stderr, "arazzo: warning: tracing is off: %v\n", err)
		return nil, func() {}
	}
	if t == nil {
		return nil, func() {}
	}
	return []engine.Option{engine.WithTracer(t)}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			fmt.Fprintf(stderr, "arazzo: warning: not all trace spans were exported: %v\n", err)
		}
	}
}
