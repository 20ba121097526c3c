package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-arazzo/arazzo/engine"
)

const brokenFlow = `arazzo: 1.0.1
info: {title: one broken workflow, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: good
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: "1"}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.get.outputs.state}
  - workflowId: broken
    steps:
      - stepId: call
        operationId: nope
  - workflowId: callsBroken
    steps:
      - stepId: first
        operationId: getJob
        parameters: [{name: id, in: path, value: "1"}]
        onSuccess:
          - {name: onward, type: goto, workflowId: broken}
`

// TestPerWorkflowValidation: by default a document with an error runs
// nothing; with WithPerWorkflowValidation the good workflow runs, and the
// broken one, or one that can reach it, is refused with its own errors.
func TestPerWorkflowValidation(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"state":"done"}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeExample(dir)
	path := filepath.Join(dir, "broken.arazzo.yaml")
	if err := os.WriteFile(path, []byte(brokenFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	strict, err := engine.Open(ctx, path, engine.WithServer("jobs", srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var ve *engine.ValidationError
	if _, err := strict.Run(ctx, "good", nil); !errors.As(err, &ve) {
		t.Fatalf("default: want the whole document refused, got %v", err)
	}

	doc, err := engine.Open(ctx, path, engine.WithServer("jobs", srv.URL), engine.WithPerWorkflowValidation())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Valid() {
		t.Fatal("the document reports valid")
	}
	res, err := doc.Run(ctx, "good", nil)
	if err != nil || res.Outputs["state"] != "done" || requests.Load() != 1 {
		t.Fatalf("good: err=%v result=%+v requests=%d", err, res, requests.Load())
	}
	for _, id := range []string{"broken", "callsBroken"} {
		_, err := doc.Run(ctx, id, nil)
		if !errors.As(err, &ve) {
			t.Fatalf("%s: want a *ValidationError, got %v", id, err)
		}
		if len(ve.Diagnostics) != 1 || ve.Diagnostics[0].Rule != "operation-exists" || !strings.HasPrefix(ve.Diagnostics[0].Path, "/workflows/1/") || !strings.Contains(err.Error(), "nope") {
			t.Errorf("%s: want just the broken workflow's operation-exists error, got %v", id, ve.Diagnostics)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("requests = %d after the refused runs, want 1", n)
	}
	if _, err := doc.Run(ctx, "unknown", nil); err == nil || errors.As(err, &ve) {
		t.Errorf("unknown workflow: want a not-found error, got %v", err)
	}
	if _, err := doc.RunAll(ctx, nil); !errors.As(err, &ve) {
		t.Errorf("RunAll: want the document refused, got %v", err)
	}
}
