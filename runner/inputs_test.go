package runner_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

// An inputs schema composed with allOf (a shared $ref'd component plus the
// workflow's own properties) gets its members' defaults, type coercion and
// secret detection, not only its validation.
func TestInputsAllOfDefaultsCoercionSecrets(t *testing.T) {
	const flow = `components:
  inputs:
    common:
      type: object
      required: [token]
      properties:
        token: {type: string, format: password}
        region: {type: string, default: westus}
workflows:
  - workflowId: w
    inputs:
      allOf:
        - $ref: '#/components/inputs/common'
        - type: object
          properties:
            count: {type: integer}
    steps:
      - stepId: s
        operationId: listBackups
        parameters:
          - {name: databaseId, in: path, value: db1}
        successCriteria:
          - condition: $statusCode == 200
    outputs:
      region: $inputs.region
      count: $inputs.count
`
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data": []}`))
	}))
	r := h.runner(writeDoc(t, header(flow)), nil)
	if got := r.CoerceInput("w", "count", "3"); got != int64(3) && got != 3 && got != 3.0 {
		t.Errorf("CoerceInput(count, \"3\") = %#v, want the integer 3", got)
	}
	if got := r.SensitiveInputs("w"); !slices.Contains(got, "token") {
		t.Errorf("SensitiveInputs = %v, want token (format: password in an allOf member)", got)
	}
	res, err := r.Run(context.Background(), "w", map[string]any{"token": "t", "count": 3})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Outputs["region"] != "westus" || res.Outputs["count"] != 3 {
		t.Errorf("outputs = %v, want the allOf member's default region westus", res.Outputs)
	}
	if _, err := r.Run(context.Background(), "w", map[string]any{"count": 3}); err == nil {
		t.Error("the allOf member's required token was not enforced")
	}
}
