package arazzo_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
)

// header is the start of every rule test document; the workflows follow
// from line 6.
const header = `arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: petstore, url: ./petstore.openapi.yaml, type: openapi}
workflows:
`

// check loads doc (as if it lived in testdata/ok, so that petstore resolves)
// and validates it.
func check(t *testing.T, doc string) arazzo.Diagnostics {
	t.Helper()
	b, diags := arazzo.LoadData(context.Background(), filepath.Join("testdata", "ok", "rule.arazzo.yaml"), []byte(doc), arazzo.LoadOptions{Fetcher: offline()})
	if b == nil {
		t.Fatalf("not loaded: %v", diags)
	}
	return append(diags, arazzo.Validate(b, arazzo.ValidateOptions{})...)
}

// want asserts a diagnostic of rule and severity at line.
func want(t *testing.T, diags arazzo.Diagnostics, rule string, sev arazzo.Severity, line int) {
	t.Helper()
	for _, d := range diags {
		if d.Rule == rule && d.Severity == sev && d.Line == line && d.Column > 0 && d.File != "" && d.Path != "" {
			if d.Message == "" || d.Hint == "" {
				t.Errorf("diagnostic lacks message or hint: %#v", d)
			}
			return
		}
	}
	t.Errorf("no %s %s at line %d; got:\n%s", sev, rule, line, joinDiags(diags))
}

// none asserts that no diagnostic has the given rule.
func none(t *testing.T, diags arazzo.Diagnostics, rule string) {
	t.Helper()
	for _, d := range diags {
		if d.Rule == rule {
			t.Errorf("unexpected %v", d)
		}
	}
}

func TestRuleSourceNameUnique(t *testing.T) {
	doc := strings.Replace(header, "workflows:\n", "  - {name: petstore, url: ./store.openapi.yaml}\nworkflows:\n", 1) +
		"  - workflowId: w\n    steps: [{stepId: s, operationId: listPets}]\n"
	want(t, check(t, doc), "source-name-unique", arazzo.SeverityError, 5)
}

func TestRuleWorkflowIDUnique(t *testing.T) {
	doc := header + `  - workflowId: w
    steps: [{stepId: s, operationId: listPets}]
  - workflowId: w
    steps: [{stepId: s, operationId: listPets}]
`
	want(t, check(t, doc), "workflow-id-unique", arazzo.SeverityError, 8)
}

func TestRuleStepIDUnique(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - {stepId: s, operationId: listPets}
      - {stepId: s, operationId: listPets}
`
	want(t, check(t, doc), "step-id-unique", arazzo.SeverityError, 9)
}

func TestRuleStepTargetExactlyOne(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: both
        operationId: listPets
        workflowId: w
      - stepId: neither
        description: nothing to call
`
	diags := check(t, doc)
	want(t, diags, "step-target-exactly-one", arazzo.SeverityError, 8)
	want(t, diags, "step-target-exactly-one", arazzo.SeverityError, 11)
}

func TestRuleStepTargetXOperation(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: direct
        x-operation: {method: GET, url: "https://example.com/health"}
`
	diags := check(t, doc)
	none(t, diags, "step-target-exactly-one")
	none(t, diags, "schema")
}

func TestRuleOperationExists(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - {stepId: a, operationId: noSuchOperation}
      - {stepId: b, operationPath: "{$sourceDescriptions.petstore.url}#/paths/~1nope/get"}
      - {stepId: c, operationId: $sourceDescriptions.nope.listPets}
`
	diags := check(t, doc)
	want(t, diags, "operation-exists", arazzo.SeverityError, 8)
	want(t, diags, "operation-exists", arazzo.SeverityError, 9)
	want(t, diags, "operation-exists", arazzo.SeverityError, 10)
}

func TestRuleWorkflowExists(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: call
        workflowId: missing
        onFailure:
          - {name: other, type: goto, workflowId: $sourceDescriptions.nope.x}
`
	diags := check(t, doc)
	want(t, diags, "workflow-exists", arazzo.SeverityError, 9)
	want(t, diags, "workflow-exists", arazzo.SeverityError, 11)
}

func TestRuleActionTargetExists(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        onSuccess:
          - {name: jump, type: goto, stepId: nowhere}
        onFailure:
          - {name: again, type: retry, stepId: s, retryLimit: 2}
`
	diags := check(t, doc)
	want(t, diags, "action-target-exists", arazzo.SeverityError, 11)
	if n := count(diags, "action-target-exists"); n != 1 {
		t.Errorf("%d action-target-exists diagnostics, want 1", n)
	}
}

func count(diags arazzo.Diagnostics, rule string) int {
	n := 0
	for _, d := range diags {
		if d.Rule == rule {
			n++
		}
	}
	return n
}

func TestRuleDependsOnExists(t *testing.T) {
	doc := header + `  - workflowId: w
    dependsOn: [missing]
    steps: [{stepId: s, operationId: listPets}]
`
	want(t, check(t, doc), "depends-on-exists", arazzo.SeverityError, 7)
}

func TestRuleDependsOnCycle(t *testing.T) {
	doc := header + `  - workflowId: a
    dependsOn: [b]
    steps: [{stepId: s, operationId: listPets}]
  - workflowId: b
    dependsOn: [a]
    steps: [{stepId: s, operationId: listPets}]
`
	want(t, check(t, doc), "depends-on-cycle", arazzo.SeverityError, 7)
}

func TestRuleStepDependsOn(t *testing.T) {
	doc := strings.Replace(header, "1.0.1", "1.1.0", 1) + `  - workflowId: w
    steps:
      - {stepId: a, operationId: listPets, dependsOn: [b]}
      - {stepId: b, operationId: listPets, dependsOn: [a]}
      - {stepId: c, operationId: listPets, dependsOn: [$workflows.w.steps.nope]}
`
	diags := check(t, doc)
	want(t, diags, "depends-on-cycle", arazzo.SeverityError, 8)
	want(t, diags, "depends-on-exists", arazzo.SeverityError, 10)
}

func TestRuleComponentReference(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        parameters:
          - reference: $components.parameters.missing
        onSuccess:
          - reference: $components.failureActions.wrongKind
components:
  failureActions:
    wrongKind: {name: x, type: end}
`
	diags := check(t, doc)
	want(t, diags, "component-reference", arazzo.SeverityError, 11)
	want(t, diags, "component-reference", arazzo.SeverityError, 13)
}

func TestRuleOutputNameFormat(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        outputs:
          "pet list (all)": $response.body
`
	want(t, check(t, doc), "output-name-format", arazzo.SeverityError, 11)
}

func TestRuleStepOutputDefined(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: first
        operationId: listPets
        parameters:
          - {name: x, in: query, value: $steps.second.outputs.id}
        outputs:
          id: $response.body#/0/id
      - stepId: second
        operationId: listPets
        parameters:
          - {name: y, in: query, value: $steps.first.outputs.nope}
          - {name: z, in: query, value: $steps.ghost.outputs.id}
        outputs:
          id: $response.body#/0/id
`
	diags := check(t, doc)
	want(t, diags, "step-output-defined", arazzo.SeverityError, 11) // second runs later
	want(t, diags, "step-output-defined", arazzo.SeverityError, 17) // no output "nope"
	want(t, diags, "step-output-defined", arazzo.SeverityError, 18) // no step "ghost"
}

func TestRulePathParameterRequired(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: missing
        operationId: getPet
      - stepId: supplied
        operationId: getPet
        parameters: [{name: petId, in: path, value: "1"}]
`
	diags := check(t, doc)
	want(t, diags, "path-parameter-required", arazzo.SeverityError, 8)
	if n := count(diags, "path-parameter-required"); n != 1 {
		t.Errorf("%d path-parameter-required diagnostics, want 1", n)
	}
	// A workflow-level parameter counts.
	doc = header + `  - workflowId: w
    parameters: [{name: petId, in: path, value: "1"}]
    steps: [{stepId: s, operationId: getPet}]
`
	none(t, check(t, doc), "path-parameter-required")
}

func TestRuleParameterIn(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: op
        operationId: listPets
        parameters: [{name: limit, value: 10}]
      - stepId: wf
        workflowId: other
        parameters: [{name: x, in: query, value: 1}]
  - workflowId: other
    steps: [{stepId: s, operationId: listPets}]
`
	diags := check(t, doc)
	want(t, diags, "parameter-in", arazzo.SeverityError, 10)
	want(t, diags, "parameter-in", arazzo.SeverityWarning, 13)
}

func TestRulePollWithoutRetry(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: poll
        operationId: listPets
        successCriteria:
          - condition: $statusCode == 200
          - condition: $response.body#/status == 'done'
      - stepId: polled
        operationId: listPets
        successCriteria:
          - condition: $response.body#/status == 'done'
        onFailure:
          - {name: wait, type: retry, retryAfter: 5, retryLimit: 60}
      - stepId: statusOnly
        operationId: listPets
        successCriteria:
          - condition: $statusCode == 200
`
	diags := check(t, doc)
	want(t, diags, "poll-without-retry", arazzo.SeverityWarning, 12)
	if n := count(diags, "poll-without-retry"); n != 1 {
		t.Errorf("%d poll-without-retry diagnostics, want 1:\n%s", n, joinDiags(diags))
	}
}

func TestRuleStepUnreachable(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: a
        operationId: listPets
        onSuccess: [{name: done, type: end}]
      - stepId: orphan
        operationId: listPets
      - stepId: target
        operationId: listPets
        onFailure: [{name: back, type: goto, stepId: a, criteria: [{condition: $statusCode == 500}]}]
  - workflowId: jumps
    steps:
      - stepId: a
        operationId: listPets
        onSuccess: [{name: skip, type: goto, stepId: c}]
      - stepId: b
        operationId: listPets
      - stepId: c
        operationId: listPets
        onFailure: [{name: retryB, type: goto, stepId: b}]
`
	diags := check(t, doc)
	want(t, diags, "step-unreachable", arazzo.SeverityWarning, 11)
	want(t, diags, "step-unreachable", arazzo.SeverityWarning, 13)
	if n := count(diags, "step-unreachable"); n != 2 {
		t.Errorf("%d step-unreachable diagnostics, want 2 (b is a goto target):\n%s", n, joinDiags(diags))
	}
}

func TestRuleGotoLoopNoExit(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: a
        operationId: listPets
      - stepId: b
        operationId: listPets
        onSuccess: [{name: again, type: goto, stepId: a}]
  - workflowId: ok
    steps:
      - stepId: a
        operationId: listPets
        onSuccess:
          - {name: again, type: goto, stepId: a, criteria: [{condition: $response.body#/more == true}]}
`
	diags := check(t, doc)
	want(t, diags, "goto-loop-no-exit", arazzo.SeverityWarning, 12)
	if n := count(diags, "goto-loop-no-exit"); n != 1 {
		t.Errorf("%d goto-loop-no-exit diagnostics, want 1", n)
	}
}

func TestRuleSchema(t *testing.T) {
	doc := header + `  - workflowId: w
    unknownField: 1
    steps: [{stepId: s, operationId: listPets}]
`
	want(t, check(t, doc), "schema", arazzo.SeverityError, 7)
}

func TestRuleExpressionSyntax(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: s
        operationId: listPets
        successCriteria:
          - condition: $statusCode ==
        outputs:
          bad: $nonsense.thing
`
	diags := check(t, doc)
	want(t, diags, "expression-syntax", arazzo.SeverityError, 11)
	want(t, diags, "expression-syntax", arazzo.SeverityError, 13)
}

// TestCleanDocument: a correct document with every kind of reference
// yields no diagnostics at all.
func TestCleanDocument(t *testing.T) {
	b := loadPets(t)
	for _, d := range arazzo.Validate(b, arazzo.ValidateOptions{}) {
		t.Errorf("unexpected: %v", d)
	}
}

func TestRuleSourceRefSpelling(t *testing.T) {
	doc := header + `  - workflowId: w
    steps:
      - stepId: s
        operationId: $sourceDescription.petstore.listPets
      - stepId: t
        operationId: $sourceDescriptions.petstore.listPets
`
	diags := check(t, doc)
	want(t, diags, "source-ref-spelling", arazzo.SeverityWarning, 9)
	none(t, diags, "operation-exists")
	if n := count(diags, "source-ref-spelling"); n != 1 {
		t.Errorf("%d source-ref-spelling diagnostics, want 1:\n%s", n, joinDiags(diags))
	}
}
