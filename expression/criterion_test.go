package expression

import (
	"strings"
	"testing"
)

func evaluate(t *testing.T, spec CriterionSpec, ctx Context) Outcome {
	t.Helper()
	c, _, err := CompileCriterion(spec, Options{})
	if err != nil {
		t.Fatalf("CompileCriterion(%+v): %v", spec, err)
	}
	return c.Evaluate(ctx)
}

func passes(t *testing.T, cond string, ctx Context) bool {
	t.Helper()
	out := evaluate(t, CriterionSpec{Condition: cond}, ctx)
	if out.Err != nil {
		t.Errorf("%q: %v", cond, out.Err)
	}
	return out.Passed
}

func TestSimplePrecedence(t *testing.T) {
	ctx := sampleContext()
	for cond, want := range map[string]bool{
		"true || false && false":              true,  // && binds tighter than ||
		"(true || false) && false":            false, // ( ) first
		"!false && false":                     false, // ! binds tighter than &&
		"!(false && false)":                   true,
		"$statusCode < 300 == true":           true, // relational before equality
		"$statusCode == 200 && $inputs.n > 2": true,
		"!$inputs.missing":                    true,
	} {
		if got := passes(t, cond, ctx); got != want {
			t.Errorf("%q = %v, want %v", cond, got, want)
		}
	}
}

func TestSimpleStringsIgnoreCase(t *testing.T) {
	ctx := sampleContext()
	if !passes(t, "$response.body#/data/0/status == 'RUNNING'", ctx) {
		t.Error("== is case-sensitive")
	}
	if !passes(t, "$response.header.Content-Type != 'text/plain'", ctx) {
		t.Error("!=")
	}
	if !passes(t, "'abc' < 'ABD'", ctx) {
		t.Error("< is case-sensitive")
	}
}

func TestSimpleNumericStrings(t *testing.T) {
	ctx := sampleContext()
	for cond, want := range map[string]bool{
		"$steps.a.outputs.id == 42": true, // "42" against a number
		"$steps.a.outputs.id > 41":  true,
		"'10' > '9'":                true, // both numeric: numbers
		"'1e2' == 100":              true,
		"'0x10' == 16":              false, // not a JSON number
		"true == 'true'":            false, // no other juggling
	} {
		if got := passes(t, cond, ctx); got != want {
			t.Errorf("%q = %v, want %v", cond, got, want)
		}
	}
}

func TestSimpleNullAndMissing(t *testing.T) {
	ctx := sampleContext()
	for cond, want := range map[string]bool{
		"null == null":                     true,
		"$inputs.missing == null":          true,
		"$inputs.missing != null":          false,
		"$statusCode == null":              false,
		"$inputs.missing > 0":              false,
		"$inputs.missing < 0":              false,
		"$inputs.missing <= null":          false,
		"$response.body.nope.deep == null": true,
		"null":                             false,
	} {
		if got := passes(t, cond, ctx); got != want {
			t.Errorf("%q = %v, want %v", cond, got, want)
		}
	}
	// A transport error leaves no $statusCode: comparisons fail, no error.
	out := evaluate(t, CriterionSpec{Condition: "$statusCode == 200"}, &testContext{})
	if out.Passed || out.Err != nil || out.Explanation != "`$statusCode` is missing, expected 200" {
		t.Errorf("%+v", out)
	}
}

func TestSimpleNavigation(t *testing.T) {
	ctx := sampleContext()
	for cond, want := range map[string]bool{
		"$response.body.data[0].id == 7":       true,
		"$response.body.data.length == 1":      true,
		"$response.body#/data[0].status != ''": true, // pointer, then navigation
		"$inputs.customer.firstName == 'ada'":  true,
	} {
		if got := passes(t, cond, ctx); got != want {
			t.Errorf("%q = %v, want %v", cond, got, want)
		}
	}
}

func TestSimpleDoubleQuotes(t *testing.T) {
	c, warns, err := CompileCriterion(CriterionSpec{Condition: `$statusCode == "200"`}, Options{})
	if err != nil || len(warns) != 1 || warns[0].Code != "double-quoted-string" || !strings.Contains(warns[0].Message, "'200'") {
		t.Fatalf("%v %+v", err, warns)
	}
	if !c.Evaluate(sampleContext()).Passed {
		t.Error("did not pass")
	}
	if _, _, err := CompileCriterion(CriterionSpec{Condition: `$statusCode == "200"`}, Options{Strict: true}); err == nil {
		t.Error("strict accepted a double-quoted string")
	}
}

func TestSimpleSyntaxErrors(t *testing.T) {
	for cond, want := range map[string]string{
		"$statusCode = 200":        "column 13: '=' is not an operator; use '=='",
		"$statusCode === 200":      `column 13: "===" is not an operator; use "=="`,
		"1 < 2 < 3":                "column 7: comparisons do not chain",
		"($statusCode == 200":      "column 20: missing ')' to close the '(' at column 1",
		"$statusCode == 200 and x": `column 20: "and" is not an operator`,
		"'open":                    "column 1: unterminated string",
		"$steps.x == 1":            "column 9: expected '.outputs.' after $steps.x",
	} {
		_, _, err := CompileCriterion(CriterionSpec{Condition: cond}, Options{Strict: true})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", cond, err, want)
		}
	}
}

func TestExplanation(t *testing.T) {
	ctx := sampleContext()
	for cond, want := range map[string]string{
		"$response.body#/data/0/status == 'completed'":         "`$response.body#/data/0/status` = \"running\", expected \"completed\"",
		"$statusCode == 200 && $response.body.count > 5":       "`$statusCode` = 200, expected 200; `$response.body.count` = 2, expected > 5",
		"$statusCode == 500 || $statusCode != 200":             "`$statusCode` = 200, expected 500; `$statusCode` = 200, expected not 200",
		"$inputs.n > $response.body.count":                     "`$inputs.n` = 3, expected > `$response.body.count` = 2",
		"!$response.body.count":                                "not (`$response.body.count` = 2 (truthy))",
		"$statusCode == 404 && $response.body.count == 'more'": "`$statusCode` = 200, expected 404",
	} {
		out := evaluate(t, CriterionSpec{Condition: cond}, ctx)
		if out.Explanation != want {
			t.Errorf("%q:\n got %s\nwant %s", cond, out.Explanation, want)
		}
	}
}

func TestRegexCriterion(t *testing.T) {
	ctx := sampleContext()
	for _, tt := range []struct {
		context, cond string
		want          bool
	}{
		{"$statusCode", `^2\d{2}$`, true},              // numbers are stringified
		{"$response.body#/data/0/status", "unn", true}, // unanchored search
		{"$response.body#/data/0/status", "^unn", false},
		{"$response.body#/data/0/status", "^({$response.body#/data/0/status})$", true}, // embedded first
	} {
		out := evaluate(t, CriterionSpec{Context: tt.context, Condition: tt.cond, Type: TypeRegex}, ctx)
		if out.Passed != tt.want || out.Err != nil {
			t.Errorf("%s ~ %s: %+v", tt.context, tt.cond, out)
		}
	}
	out := evaluate(t, CriterionSpec{Context: "$inputs.missing", Condition: ".*", Type: TypeRegex}, ctx)
	if out.Passed || out.Explanation != "context `$inputs.missing` is missing" {
		t.Errorf("missing context: %+v", out)
	}
}

func TestRegexUnsupportedConstructs(t *testing.T) {
	for pattern, want := range map[string]string{
		`^(?=a)`:   "look-ahead",
		`(?<!x)y`:  "negative look-behind",
		`(a)\1`:    "back-reference",
		`a{2,1}`:   "invalid regex",
		`(?>abc)`:  "atomic group",
		`[a-`:      "invalid regex",
		`x*+`:      "possessive",
		`(?<=a)b+`: "look-behind",
	} {
		c, _, err := CompileCriterion(CriterionSpec{Context: "$statusCode", Condition: pattern, Type: TypeRegex}, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", pattern, err, want)
			continue
		}
		if out := c.Evaluate(sampleContext()); out.Passed || out.Err == nil {
			t.Errorf("%s: evaluation %+v, want a failure with the error", pattern, out)
		}
	}
}

func TestJSONPathCriterion(t *testing.T) {
	pets := map[string]any{"pets": []any{map[string]any{"name": "rex"}}}
	ctx := &testContext{body: pets}
	for cond, want := range map[string]bool{
		"$[?count(@.pets) > 0]":            true, // the spec's example: root filter on the context itself
		"$.pets[*]":                        true,
		"$.pets[?@.name == 'rex']":         true,
		"$.pets[?@.name == 'REX']":         false, // JSONPath comparison is case-sensitive
		"$.cats[*]":                        false,
		"$.pets[?value(@.name) == 'rex']":  true, // RFC 9535 value()
		"$.pets[?@.name == '{$inputs.n}']": false,
		"$[?length(@.pets) == 1]":          true,
		"$.pets[?search(@.name, 'e')]":     true,
		"$.pets[?match(@.name, 're')]":     false, // match() is anchored
	} {
		out := evaluate(t, CriterionSpec{Context: "$response.body", Condition: cond, Type: TypeJSONPath}, ctx)
		if out.Passed != want || out.Err != nil {
			t.Errorf("%s: %+v, want %v", cond, out, want)
		}
	}
	// JSON held as text is decoded.
	ctx = &testContext{body: []byte(`{"pets":[1]}`)}
	if out := evaluate(t, CriterionSpec{Context: "$response.body", Condition: "$.pets[0]", Type: TypeJSONPath}, ctx); !out.Passed {
		t.Errorf("[]byte context: %+v", out)
	}
	ctx = &testContext{body: []byte(`<xml/>`)}
	if out := evaluate(t, CriterionSpec{Context: "$response.body", Condition: "$.pets[0]", Type: TypeJSONPath}, ctx); out.Passed || out.Err == nil {
		t.Errorf("XML context: %+v", out)
	}
	if _, _, err := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "pets[0]", Type: TypeJSONPath}, Options{}); err == nil {
		t.Error("accepted a query without '$'")
	}
	if _, _, err := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "$.pets[0]", Type: TypeJSONPath, Version: JSONPathGoessner}, Options{}); err != nil {
		t.Errorf("goessner version: %v", err)
	}
}

func TestJSONPathComparisonForm(t *testing.T) {
	ctx := sampleContext()
	spec := CriterionSpec{Context: "$response.body", Condition: `$.data[0].status == "Running"`, Type: TypeJSONPath}
	c, warns, err := CompileCriterion(spec, Options{})
	if err != nil || len(warns) != 1 || warns[0].Code != "jsonpath-comparison" || !strings.Contains(warns[0].Message, "$[?$.data[0].status == 'Running']") {
		t.Fatalf("%v %+v", err, warns)
	}
	out := c.Evaluate(ctx)
	if !out.Passed || out.Explanation != "`$.data[0].status` on `$response.body` = \"running\", expected \"Running\"" {
		t.Errorf("%+v", out)
	}
	// The suggested rewrite is itself a working query.
	rewrite := evaluate(t, CriterionSpec{Context: "$response.body", Condition: "$[?$.data[0].status == 'running']", Type: TypeJSONPath}, ctx)
	if !rewrite.Passed {
		t.Errorf("rewrite: %+v", rewrite)
	}
	if _, _, err := CompileCriterion(spec, Options{Strict: true}); err == nil {
		t.Error("strict accepted the comparison form")
	}
}

func TestXPathCriterion(t *testing.T) {
	ctx := &testContext{body: "<root><pets><pet>a</pet><pet>b</pet></pets><price>5</price></root>"}
	for cond, want := range map[string]bool{
		"count(/root/pets/*) > 0":   true,
		"/root/pets":                true,
		"/root/cats":                false,
		"string(/root/price)":       true,  // non-empty string
		"/root/price - 5":           false, // zero
		"/root/price > {$inputs.n}": false, // missing input embeds ""
	} {
		out := evaluate(t, CriterionSpec{Context: "$response.body", Condition: cond, Type: TypeXPath}, ctx)
		if out.Passed != want {
			t.Errorf("%s: %+v, want %v", cond, out, want)
		}
	}
	for _, v := range []string{"xpath-10", "xpath-20", "xpath-30", "xpath-31"} {
		if _, _, err := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "/a", Type: TypeXPath, Version: v}, Options{}); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	_, _, err := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "exists(/root)", Type: TypeXPath}, Options{})
	if err == nil || !strings.Contains(err.Error(), "XPath function exists() is not available") {
		t.Errorf("unsupported function: %v", err)
	}
	out := evaluate(t, CriterionSpec{Context: "$response.body", Condition: "/a", Type: TypeXPath}, sampleContext())
	if out.Passed || out.Err == nil || !strings.Contains(out.Err.Error(), "JSON object") {
		t.Errorf("JSON context: %+v", out)
	}
}

func TestCriterionNeverPanicsOnNilContext(t *testing.T) {
	for _, spec := range []CriterionSpec{
		{Condition: "$statusCode == 200"},
		{Context: "$response.body", Condition: "$.a", Type: TypeJSONPath},
		{Context: "$response.body", Condition: "/a", Type: TypeXPath},
		{Context: "$response.body", Condition: "a", Type: TypeRegex},
	} {
		c, _, _ := CompileCriterion(spec, Options{})
		if out := c.Evaluate(nil); out.Passed {
			t.Errorf("%+v passed on a nil context", spec)
		}
	}
}

func TestCriterionExprs(t *testing.T) {
	c, _, _ := CompileCriterion(CriterionSpec{Context: "$response.body", Condition: "$[?@.a == '{$inputs.x}']", Type: TypeJSONPath}, Options{})
	if got := c.Exprs(); len(got) != 2 || got[0].Text != "$response.body" || got[1].Text != "$inputs.x" {
		t.Errorf("Exprs = %v", got)
	}
	if c.Evaluate(sampleContext()).Condition != "jsonpath: $[?@.a == '{$inputs.x}']" {
		t.Error("Condition label")
	}
}

func TestSelectors(t *testing.T) {
	ctx := sampleContext()
	xml := &testContext{body: []byte("<Invoice><Header><No>17</No></Header><Line>a</Line><Line>b</Line></Invoice>")}
	for _, tt := range []struct {
		spec SelectorSpec
		ctx  Context
		want string
	}{
		{SelectorSpec{Context: "$response.body", Selector: "/data/0/id", Type: TypeJSONPointer}, ctx, "7"},
		{SelectorSpec{Context: "$response.body", Selector: "$.data[0].status", Type: TypeJSONPath}, ctx, "running"},
		{SelectorSpec{Context: "$response.body", Selector: "$.data[*].id", Type: TypeJSONPath}, ctx, "7"},
		{SelectorSpec{Context: "$response.body", Selector: "$.nothing[*]", Type: TypeJSONPath}, ctx, "[]"},
		{SelectorSpec{Context: "$response.body", Selector: "/Invoice/Header/No", Type: TypeXPath, Version: "xpath-30"}, xml, "17"},
		{SelectorSpec{Context: "$response.body", Selector: "/Invoice/Line", Type: TypeXPath}, xml, `["a","b"]`},
		{SelectorSpec{Context: "$response.body", Selector: "count(/Invoice/Line)", Type: TypeXPath}, xml, "2"},
	} {
		s, _, err := CompileSelector(tt.spec, Options{})
		if err != nil {
			t.Errorf("%+v: %v", tt.spec, err)
			continue
		}
		v, err := s.Eval(tt.ctx)
		if err != nil || Stringify(v) != tt.want {
			t.Errorf("%s = %v (%v), want %s", tt.spec.Selector, Stringify(v), err, tt.want)
		}
	}
	s, _, _ := CompileSelector(SelectorSpec{Context: "$response.body", Selector: "/nope", Type: TypeJSONPointer}, Options{})
	if _, err := s.Eval(ctx); err == nil {
		t.Error("a pointer to nothing is not an error")
	}
	if _, _, err := CompileSelector(SelectorSpec{Context: "$response.body", Selector: "/a", Type: "css"}, Options{}); err == nil {
		t.Error("unknown selector type accepted")
	}
}
