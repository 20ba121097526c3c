package runner_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// Objects are sent with their members in the order they were written: in
// the document (literal objects, with or without expressions inside,
// replacements), in an inputs file, and when passed to a nested workflow.
func TestObjectsKeepTheirWrittenMemberOrder(t *testing.T) {
	api := &echoAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	doc := `workflows:
  - workflowId: w
    inputs: {type: object, properties: {x: {type: string}, color: {type: object}}}
    steps:
      - stepId: literal
        operationId: echo
        requestBody:
          contentType: application/json
          payload:
            zeta: "{$inputs.x}"
            alpha: {c: 1, b: 2}
            mid: [{y: $inputs.x, x: 0}]
          replacements:
            - {target: /alpha/a, value: $inputs.x}
            - {target: /beta, value: one}
      - stepId: input
        operationId: echo
        requestBody:
          contentType: application/json
          payload: $inputs.color
      - stepId: nested
        workflowId: child
        parameters:
          - {name: obj, value: $inputs.color}
  - workflowId: child
    inputs: {type: object, properties: {obj: {type: object}}}
    steps:
      - stepId: send
        operationId: echo
        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: $inputs.obj
`
	inputs, order, err := arazzo.DecodeValue("inputs.yaml", []byte("x: v\ncolor: {R: 100, G: 200, B: 150}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(loadEcho(t, doc), runner.Options{Servers: map[string]string{"echo": srv.URL + "/v1"}, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		api.reqs = nil
		if _, err := r.Run(context.Background(), "w", inputs.(map[string]any), runner.WithInputOrder(order)); err != nil {
			t.Fatal(err)
		}
		want := []string{
			`{"zeta":"v","alpha":{"c":1,"b":2,"a":"v"},"mid":[{"y":"v","x":0}],"beta":"one"}`,
			`{"R":100,"G":200,"B":150}`,
			`R=100&G=200&B=150`,
		}
		if len(api.reqs) != len(want) {
			t.Fatalf("round %d: %d requests, want %d", round, len(api.reqs), len(want))
		}
		for i, w := range want {
			if api.reqs[i].body != w {
				t.Errorf("round %d, request %d body\n got %s\nwant %s", round, i+1, api.reqs[i].body, w)
			}
		}
	}

	// Without the inputs' order, an input object is sent sorted by name.
	api.reqs = nil
	if _, err := r.Run(context.Background(), "w", inputs.(map[string]any)); err != nil {
		t.Fatal(err)
	}
	if got := api.reqs[1].body; got != `{"B":150,"G":200,"R":100}` {
		t.Errorf("unordered input body = %s", got)
	}
}
