package expression

import (
	"testing"
)

// Fuzz targets: every parser must return a value or an error for any input,
// never panic, and stay linear (the parsers never backtrack).

var fuzzSeeds = []string{
	"$url", "$response.body#/data/0/id", "$steps.a.outputs.x.y#/0", "$inputs.a~",
	"{$inputs.a}-{$x}", "Bearer $inputs.t", "$response.body.a[0].b", "$request.query.a\\u00e9",
	"$statusCode == 200 && ($response.body.a[1] != 'x''y' || !$inputs.b)", `"a" < 1e3`,
	"$[?count(@.pets) > 0]", "$.a[0].b == 'c'", "/root/a[. > 1]", "^(?=a)\\1",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range []Options{{}, {Strict: true}, {Version: "1.0.1"}} {
			e, _, err := Parse(s, o)
			if err == nil {
				e.Eval(sampleContext())
				_ = e.String()
			}
			if tm, _, err := ParseTemplate(s, o); err == nil {
				if _, err := tm.Eval(sampleContext()); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func FuzzSimpleCondition(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, _, _ := CompileCriterion(CriterionSpec{Condition: s}, Options{})
		if out := c.Evaluate(sampleContext()); out.Err != nil && c.err == nil {
			t.Fatalf("%q: evaluation error %v", s, out.Err)
		}
	})
}

func FuzzJSONPathCondition(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, _, _ := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: s, Type: TypeJSONPath}, Options{})
		c.Evaluate(sampleContext())
	})
}

func FuzzRegexCondition(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, _, _ := CompileCriterion(CriterionSpec{Context: "$response.body#/data/0/status", Condition: s, Type: TypeRegex}, Options{})
		c.Evaluate(sampleContext())
	})
}

func FuzzXPathCondition(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	xml := &testContext{body: "<root><a>1</a><a>2</a></root>"}
	f.Fuzz(func(t *testing.T, s string) {
		c, _, _ := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: s, Type: TypeXPath}, Options{})
		c.Evaluate(xml)
	})
}
