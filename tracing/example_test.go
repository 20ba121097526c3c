package tracing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/tracing"
)

const exampleAPI = `openapi: 3.0.3
info: {title: status, version: "1"}
servers: [{url: https://status.example.invalid}]
paths:
  /status:
    get:
      operationId: getStatus
      responses: {"200": {description: ok}}
`

const exampleFlow = `arazzo: 1.0.1
info: {title: example, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: checkStatus
    steps:
      - stepId: getStatus
        operationId: getStatus
        successCriteria: [{condition: $response.body#/status == 'ok'}]
`

func exampleDoc() (string, func()) {
	dir, _ := os.MkdirTemp("", "example")
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(exampleAPI), 0o644)
	path := filepath.Join(dir, "flow.arazzo.yaml")
	os.WriteFile(path, []byte(exampleFlow), 0o644)
	return path, func() { os.RemoveAll(dir) }
}

// Trace runs with any OpenTelemetry TracerProvider: here the SDK's, with
// an in-memory exporter; in a service, the provider it already has.
func ExampleNew() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	defer api.Close()
	path, cleanup := exampleDoc()
	defer cleanup()

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	doc, err := engine.Open(context.Background(), path,
		engine.WithServer("api", api.URL),
		engine.WithTracer(tracing.New(tp)))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := doc.Run(context.Background(), "checkStatus", nil); err != nil {
		fmt.Println(err)
		return
	}
	// Spans end innermost first.
	for _, s := range exp.GetSpans() {
		fmt.Printf("%s (%s)\n", s.Name, s.SpanKind)
	}
	// Output:
	// GET (client)
	// arazzo.step getStatus (internal)
	// arazzo.workflow checkStatus (internal)
}

// Export over OTLP when the standard OpenTelemetry variables ask for it;
// otherwise FromEnv sets nothing up and runs carry no tracer at all.
func ExampleFromEnv() {
	// A stand-in OTLP/HTTP collector; in real use the environment points
	// at yours (OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318).
	received := make(chan string, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- r.Method + " " + r.URL.Path
	}))
	defer collector.Close()
	os.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	defer os.Unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT")

	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	defer api.Close()
	path, cleanup := exampleDoc()
	defer cleanup()

	t, shutdown, err := tracing.FromEnv(context.Background(), "my-service", "1.0.0")
	if err != nil {
		fmt.Println("tracing is off:", err)
	}
	opts := []engine.Option{engine.WithServer("api", api.URL)}
	if t != nil {
		opts = append(opts, engine.WithTracer(t))
	}
	doc, err := engine.Open(context.Background(), path, opts...)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _ := doc.Run(context.Background(), "checkStatus", nil)
	fmt.Println(res.Status)

	// Before exiting: flush the spans, waiting a few seconds at most.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		fmt.Println("flushing spans:", err)
	}
	fmt.Println("collector received:", strings.TrimSpace(<-received))
	// Output:
	// succeeded
	// collector received: POST /v1/traces
}
