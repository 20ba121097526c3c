package runner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-arazzo/arazzo/runner"
)

// TestBrokenWorkflowDoesNotStopOthers: runner.New compiles each workflow
// on its own. A workflow with an unresolvable reference fails with kind
// document, naming the problem, when it (or a workflow that reaches it)
// runs; the document's other workflows run normally.
func TestBrokenWorkflowDoesNotStopOthers(t *testing.T) {
	doc := header(`workflows:
  - workflowId: good
    steps:
      - stepId: list
        operationId: listBackups
        parameters: [{name: databaseId, in: path, value: db}]
        outputs: {status: $response.body#/data/0/status}
    outputs: {status: $steps.list.outputs.status}
  - workflowId: broken
    steps:
      - stepId: call
        operationId: noSuchOperation
  - workflowId: callsBroken
    steps:
      - stepId: nested
        workflowId: broken
`)
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, doc), nil)

	res, err := r.Run(context.Background(), "good", nil)
	if err != nil || res.Status != runner.StatusSucceeded || res.Outputs["status"] != "completed" {
		t.Fatalf("good: err=%v result=%+v", err, res)
	}

	res, err = r.Run(context.Background(), "broken", nil)
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindDocument || se.WorkflowID != "broken" {
		t.Fatalf("broken: want a %s error of workflow broken, got %v", runner.KindDocument, err)
	}
	if !strings.Contains(se.Message, "noSuchOperation") || !strings.Contains(se.Message, "call") {
		t.Errorf("broken: the message should name the step and the missing operation: %q", se.Message)
	}
	t.Logf("broken: %v", err)
	if res == nil || res.Status != runner.StatusFailed || len(res.Steps) != 0 {
		t.Errorf("broken: want a failed result with no step run, got %+v", res)
	}

	res, err = r.Run(context.Background(), "callsBroken", nil)
	if !errors.As(err, &se) || res == nil || len(res.Steps) != 1 || res.Steps[0].Nested == nil {
		t.Fatalf("callsBroken: want a failure through the nested step, got %v (%+v)", err, res)
	}
	if nested := res.Steps[0].Nested.Error; nested == nil || nested.Kind != runner.KindDocument {
		t.Errorf("callsBroken: nested error = %v, want kind %s", nested, runner.KindDocument)
	}

	results, err := r.RunAll(context.Background(), nil)
	if len(results) != 3 || results[0].Status != runner.StatusSucceeded || results[1].Status != runner.StatusFailed {
		t.Fatalf("RunAll: %+v", results)
	}
	if !errors.As(err, &se) || se.WorkflowID != "broken" || se.Kind != runner.KindDocument {
		t.Errorf("RunAll: first error = %v, want the broken workflow's", err)
	}
	if api.polls != 2 {
		t.Errorf("requests to listBackups = %d, want 2 (one per run of good)", api.polls)
	}
}
