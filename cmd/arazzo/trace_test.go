package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestRunExportsTracesWhenOTelEnvIsSet runs `arazzo run` with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP collector: the
// spans must have arrived when the command returns, and carry no secret.
// Without the variable, no tracer is installed: requests carry no
// traceparent header.
func TestRunExportsTracesWhenOTelEnvIsSet(t *testing.T) {
	const token = "tr4ce-s3cret"
	var mu sync.Mutex
	var traceparents []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparents = append(traceparents, r.Header.Get("Traceparent"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"echo":"x"}`)
	}))
	defer api.Close()
	var bodies [][]byte
	var paths []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		bodies = append(bodies, body)
		mu.Unlock()
	}))
	defer collector.Close()
	flow := cliFixture(t)
	for _, v := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME"} {
		t.Setenv(v, "")
	}

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	if code, out, errs := runCLI("run", flow, "--server", "api="+api.URL, "--input", "id=1", "--input", "token="+token); code != 0 {
		t.Fatalf("untraced run: exit %d: %s %s", code, out, errs)
	}
	mu.Lock()
	if len(traceparents) != 1 || traceparents[0] != "" || len(paths) != 0 {
		t.Errorf("tracing active without OTEL_* variables: traceparent %q, collector got %q", traceparents, paths)
	}
	mu.Unlock()

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	if code, out, errs := runCLI("run", flow, "--server", "api="+api.URL, "--input", "id=1", "--input", "token="+token); code != 0 {
		t.Fatalf("traced run: exit %d: %s %s", code, out, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || paths[0] != "/v1/traces" {
		t.Fatalf("collector got %q, want the spans at /v1/traces before the command returned", paths)
	}
	var names []string
	for _, body := range bodies {
		if bytes.Contains(body, []byte(token)) {
			t.Errorf("exported spans contain the password input")
		}
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Fatalf("collector body is not OTLP protobuf: %v", err)
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
				}
			}
		}
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "GET,arazzo.step fetch,arazzo.workflow get" {
		t.Errorf("exported spans %q", got)
	}
	if len(traceparents) != 2 || !strings.HasPrefix(traceparents[1], "00-") {
		t.Errorf("traced request carried traceparent %q", traceparents)
	}
}
