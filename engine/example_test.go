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
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/runner"
)

const exampleAPI = `openapi: 3.0.3
info: {title: status, version: "1"}
servers: [{url: https://status.example.invalid}]
paths:
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

const exampleFlow = `arazzo: 1.0.1
info: {title: example, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: waitForJob
    inputs:
      type: object
      required: [id]
      properties: {id: {type: string}}
    steps:
      - stepId: poll
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria:
          - condition: $response.body#/state == 'done'
        onFailure:
          - {name: wait, type: retry, retryAfter: 0, retryLimit: 5}
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.poll.outputs.state}
`

func writeExample(dir string) string {
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(exampleAPI), 0o644)
	path := filepath.Join(dir, "flow.arazzo.yaml")
	os.WriteFile(path, []byte(exampleFlow), 0o644)
	return path
}

// Open a document, point its source at a server, and run a polling
// workflow.
func ExampleOpen() {
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls++
		w.Header().Set("Content-Type", "application/json")
		if polls < 3 {
			fmt.Fprint(w, `{"state":"running"}`)
			return
		}
		fmt.Fprint(w, `{"state":"DONE"}`)
	}))
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	doc, err := engine.Open(context.Background(), writeExample(dir), engine.WithServer("jobs", srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := doc.Run(context.Background(), "waitForJob", map[string]any{"id": "42"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.Outputs["state"], res.Steps[0].Attempts)
	// Output: succeeded DONE 3
}

func TestRunErrorsAreTyped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"state":"running"}`)
	}))
	defer srv.Close()
	doc, err := engine.Open(context.Background(), writeExample(t.TempDir()), engine.WithServer("jobs", srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = doc.Run(context.Background(), "waitForJob", map[string]any{"id": "1"})
	var se *engine.StepError
	if !errors.As(err, &se) || se.StepID != "poll" || se.Kind != runner.KindRetryLimit {
		t.Fatalf("want *engine.StepError at poll, got %v", err)
	}
	_, err = doc.Run(context.Background(), "waitForJob", nil)
	if !errors.As(err, &se) || se.Kind != runner.KindInputs {
		t.Fatalf("want an inputs error, got %v", err)
	}
}

func TestInvalidDocumentRefusesToRun(t *testing.T) {
	dir := t.TempDir()
	path := writeExample(dir)
	os.WriteFile(path, []byte(strings.Replace(exampleFlow, "operationId: getJob", "operationId: nope", 1)), 0o644)
	doc, err := engine.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Valid() {
		t.Fatal("document calling an unknown operation reported valid")
	}
	_, err = doc.Run(context.Background(), "waitForJob", map[string]any{"id": "1"})
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || len(ve.Diagnostics.Errors()) == 0 {
		t.Fatalf("want *engine.ValidationError, got %v", err)
	}
}

// One opened document runs many workflows at once (run with -race).
func TestConcurrentRuns(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"state":"done","id":%q}`, r.URL.Path)
	}))
	defer srv.Close()
	doc, err := engine.Open(context.Background(), writeExample(t.TempDir()), engine.WithServer("jobs", srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := doc.Run(context.Background(), "waitForJob", map[string]any{"id": fmt.Sprint(i)})
			if err != nil || res.Outputs["state"] != "done" {
				t.Errorf("run %d: %v %v", i, err, res)
			}
		}(i)
	}
	wg.Wait()
}
