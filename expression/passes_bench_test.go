package expression

import "testing"

// passesCases are criteria of every kind, passing and failing, including
// evaluation errors and a missing context.
var passesCases = []CriterionSpec{
	{Condition: "$statusCode == 200"},
	{Condition: "$statusCode != 200"},
	{Condition: "$response.body#/data/0/status == 'completed'"},
	{Condition: "$response.body#/data/0/status == 'RUNNING' && $response.body#/count > 1"},
	{Condition: "!($response.body#/missing) || $inputs.n < 2"},
	{Condition: "$response.body#/data/0/id"},
	{Condition: "$response.body.data[0].id == 7"},
	{Condition: "$response.body#/data/0/id == $steps.a.outputs.id"},
	{Condition: "$a == 1 == true == false == true == false == true == 1 == $b == $c"},
	{Context: "$response.body", Condition: "$.data[?@.status == 'running']", Type: TypeJSONPath},
	{Context: "$response.body", Condition: "$.data[?@.status == 'done']", Type: TypeJSONPath},
	{Context: "$statusCode", Condition: "^2\\d\\d$", Type: TypeRegex},
	{Context: "$response.body#/nothing", Condition: "x", Type: TypeRegex},
}

// TestPassesAgreesWithEvaluate: Passes is Evaluate without the
// explanation, so the verdicts must be equal for every kind of criterion.
func TestPassesAgreesWithEvaluate(t *testing.T) {
	ctx := sampleContext()
	for _, spec := range passesCases {
		c, _, _ := CompileCriterion(spec, Options{})
		if got, want := c.Passes(ctx), c.Evaluate(ctx).Passed; got != want {
			t.Errorf("%q: Passes = %v, Evaluate = %v", spec.Condition, got, want)
		}
		if got, want := c.Passes(nil), c.Evaluate(nil).Passed; got != want {
			t.Errorf("%q without context: Passes = %v, Evaluate = %v", spec.Condition, got, want)
		}
	}
	if (&Criterion{}).Passes(ctx) {
		t.Error("an uncompiled criterion passes")
	}
}

// BenchmarkCriterionPasses is BenchmarkEvaluateSimpleCondition without
// the explanation (how the runner evaluates action criteria).
func BenchmarkCriterionPasses(b *testing.B) {
	c, _, _ := CompileCriterion(CriterionSpec{Condition: benchCondition}, Options{})
	ctx := sampleContext()
	b.ReportAllocs()
	for b.Loop() {
		c.Passes(ctx)
	}
}
