package expression

import "testing"

const benchCondition = "$response.body#/data/0/status == 'completed'"

func BenchmarkParseSimpleCondition(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := CompileCriterion(CriterionSpec{Condition: benchCondition}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateSimpleCondition(b *testing.B) {
	c, _, _ := CompileCriterion(CriterionSpec{Condition: benchCondition}, Options{})
	ctx := sampleContext()
	b.ReportAllocs()
	for b.Loop() {
		c.Evaluate(ctx)
	}
}

func BenchmarkExprEval(b *testing.B) {
	e, _, _ := Parse("$response.body#/data/0/status", Options{})
	ctx := sampleContext()
	b.ReportAllocs()
	for b.Loop() {
		e.Eval(ctx)
	}
}

func BenchmarkParseJSONPathFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "$.data[?@.status == 'running']", Type: TypeJSONPath}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateJSONPathFilter(b *testing.B) {
	c, _, _ := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "$.data[?@.status == 'running']", Type: TypeJSONPath}, Options{})
	ctx := sampleContext()
	b.ReportAllocs()
	for b.Loop() {
		if !c.Evaluate(ctx).Passed {
			b.Fatal("did not pass")
		}
	}
}
