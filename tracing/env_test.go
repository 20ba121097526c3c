package tracing_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/go-arazzo/arazzo/runner"
	"github.com/go-arazzo/arazzo/tracing"
)

// otelVars are the variables FromEnv and the exporter read; each test
// starts from none of them set.
var otelVars = []string{
	"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
}

func clearOTelEnv(t *testing.T) {
	for _, v := range otelVars {
		t.Setenv(v, "")
	}
}

func TestFromEnvOffByDefault(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"nothing set":     {},
		"sdk disabled":    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"},
		"exporter none":   {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER": "none"},
		"only a service":  {"OTEL_SERVICE_NAME": "x"},
		"protocol, no ep": {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
	} {
		t.Run(name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range env {
				t.Setenv(k, v)
			}
			if tracing.Enabled() {
				t.Error("Enabled() = true")
			}
			tr, shutdown, err := tracing.FromEnv(context.Background(), "arazzo", "dev")
			if err != nil || tr != nil {
				t.Fatalf("FromEnv = %v, %v; want nil, nil", tr, err)
			}
			if err := shutdown(context.Background()); err != nil {
				t.Errorf("no-op shutdown: %v", err)
			}
		})
	}
}

func TestFromEnvRejectsUnsupportedSettings(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"grpc":   {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"zipkin": {"OTEL_TRACES_EXPORTER": "zipkin"},
	} {
		t.Run(name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range env {
				t.Setenv(k, v)
			}
			tr, shutdown, err := tracing.FromEnv(context.Background(), "arazzo", "dev")
			if err == nil || tr != nil || shutdown == nil {
				t.Fatalf("FromEnv = %v, %v; want an error", tr, err)
			}
			if !strings.Contains(err.Error(), "not supported") {
				t.Errorf("error does not say what is wrong: %v", err)
			}
		})
	}
}

// TestFromEnvExportsOTLP points OTEL_EXPORTER_OTLP_ENDPOINT at a local
// OTLP/HTTP endpoint and checks that shutdown delivers the spans there.
func TestFromEnvExportsOTLP(t *testing.T) {
	t.Run("OTEL_SERVICE_NAME", func(t *testing.T) { testExport(t, "arazzo-test", "arazzo-test") })
	t.Run("default service name", func(t *testing.T) { testExport(t, "", "arazzo") })
}

func testExport(t *testing.T, serviceEnv, wantService string) {
	var mu sync.Mutex
	var paths []string
	var req coltrace.ExportTraceServiceRequest
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("collector: body is not an OTLP protobuf request: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	clearOTelEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", serviceEnv)

	if !tracing.Enabled() {
		t.Fatal("Enabled() = false with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	tr, shutdown, err := tracing.FromEnv(context.Background(), "arazzo", "v9")
	if err != nil || tr == nil {
		t.Fatalf("FromEnv: %v, %v", tr, err)
	}
	ctx, end := tr.StartWorkflow(context.Background(), "backup", 0)
	_, endAttempt := tr.StartAttempt(ctx, "backup", "createBackup", 1)
	endAttempt(&runner.StepAttempt{Passed: true})
	end(&runner.WorkflowResult{WorkflowID: "backup", Status: runner.StatusSucceeded})

	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || paths[0] != "POST /v1/traces application/x-protobuf" {
		t.Fatalf("collector got %q, want POST /v1/traces application/x-protobuf", paths)
	}
	var spans []string
	service := ""
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.Resource.Attributes {
			if kv.Key == "service.name" {
				service = kv.Value.GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				spans = append(spans, s.Name)
			}
		}
	}
	if service != wantService {
		t.Errorf("service.name = %q, want %q", service, wantService)
	}
	if strings.Join(spans, ",") != "arazzo.step createBackup,arazzo.workflow backup" {
		t.Errorf("exported spans %q", spans)
	}
}
