package expression

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/go-arazzo/arazzo/internal/testutil"
)

// The swaggerexpert corpus (../shared/conformance/swaggerexpert): runtime
// expressions, embedded expressions and simple conditions. Deliberate
// differences are listed in deviations and in docs/semantics.md.

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	dir := testutil.ConformanceDir(t, "swaggerexpert")
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type exprCorpus struct {
	Cases []struct {
		Input string         `json:"input"`
		Valid bool           `json:"valid"`
		AST   map[string]any `json:"ast"`
	} `json:"cases"`
	Extract struct {
		Cases []struct {
			Input    string   `json:"input"`
			Expected []string `json:"expected"`
		} `json:"cases"`
	} `json:"extract"`
	Interpolate struct {
		Cases []struct {
			Template string `json:"template"`
			Resolver struct {
				Kind   string         `json:"kind"`
				Value  any            `json:"value"`
				Values map[string]any `json:"values"`
			} `json:"resolver"`
			Expected string `json:"expected"`
		} `json:"cases"`
	} `json:"interpolate"`
}

// deviations maps a corpus input to the result this package gives instead
// of the corpus's; see docs/semantics.md ("Braces that are not
// expressions").
var deviations = map[string]any{
	// extract: a valid {$…} is found even next to stray braces.
	"{{$url}}": []string{"$url"},
	"{$url}}":  []string{"$url"},
	// interpolate: same rule.
	"interpolate {{$url}}":                     "{X}",
	"interpolate {\"x\":1}-{$inputs.username}": "{\"x\":1}-X",
}

func TestConformanceExpressions(t *testing.T) {
	var c exprCorpus
	loadJSON(t, "expressions.json", &c)
	for _, tc := range c.Cases {
		for _, strict := range []bool{false, true} {
			e, _, err := Parse(tc.Input, Options{Strict: strict})
			if (err == nil) != tc.Valid {
				t.Errorf("Parse(%q, strict=%v): err = %v, want valid=%v", tc.Input, strict, err, tc.Valid)
				continue
			}
			if err != nil {
				var se *SyntaxError
				if !asSyntaxError(err, &se) || se.Column < 1 {
					t.Errorf("Parse(%q): error %v is not a positioned *SyntaxError", tc.Input, err)
				}
				continue
			}
			checkAST(t, tc.Input, e, tc.AST)
		}
	}
}

// checkAST compares the split the corpus's AST shows (names, ids, decoded
// pointer tokens) with e.
func checkAST(t *testing.T, input string, e *Expr, ast map[string]any) {
	t.Helper()
	if ast == nil {
		return
	}
	var name string
	var ptr map[string]any
	id := ""
	switch ast["type"] {
	case "RequestExpression", "ResponseExpression", "MessageExpression":
		ref := ast["source"].(map[string]any)["reference"].(map[string]any)
		if tok, ok := ref["token"].(string); ok {
			name = tok
		}
		if n, ok := ref["name"].(string); ok {
			name = n
		}
		ptr, _ = ref["jsonPointer"].(map[string]any)
	case "InputsExpression", "OutputsExpression":
		name = ast["name"].(string)
		ptr, _ = ast["jsonPointer"].(map[string]any)
	case "StepsExpression":
		id, name = ast["stepId"].(string), ast["outputName"].(string)
		ptr, _ = ast["jsonPointer"].(map[string]any)
	case "WorkflowsExpression":
		id, name = ast["workflowId"].(string), ast["fieldName"].(string)
		ptr, _ = ast["jsonPointer"].(map[string]any)
	case "SourceDescriptionsExpression":
		id, name = ast["sourceName"].(string), ast["reference"].(string)
	case "ComponentsExpression":
		id, name = ast["componentType"].(string), ast["componentName"].(string)
	}
	// Header tokens are case-insensitive: the corpus lower-cases them, this
	// package keeps them as written.
	if !equalFoldStr(e.Name, name) || e.ID != id {
		t.Errorf("Parse(%q) = ID %q Name %q, want ID %q Name %q", input, e.ID, e.Name, id, name)
	}
	var want []string
	if ptr != nil {
		want = []string{}
		for _, rt := range ptr["referenceTokens"].([]any) {
			want = append(want, rt.(map[string]any)["value"].(string))
		}
	}
	if !reflect.DeepEqual(e.Pointer, want) {
		t.Errorf("Parse(%q).Pointer = %q, want %q", input, e.Pointer, want)
	}
}

func TestConformanceExtract(t *testing.T) {
	var c exprCorpus
	loadJSON(t, "expressions.json", &c)
	for _, tc := range c.Extract.Cases {
		exprs, _, err := Scan(tc.Input, Options{})
		if err != nil {
			t.Errorf("Scan(%q): %v", tc.Input, err)
			continue
		}
		got := []string{}
		for _, e := range exprs {
			got = append(got, e.Text)
		}
		want := tc.Expected
		if d, ok := deviations[tc.Input]; ok {
			want = d.([]string)
		}
		if len(want) == 0 {
			want = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Scan(%q) = %q, want %q", tc.Input, got, want)
		}
	}
}

type mapContext map[string]any

func (m mapContext) Value(ref Ref) (any, bool) {
	v, ok := m[refKey(ref)]
	return v, ok
}

// refKey spells a Ref the way the corpus's resolvers key their values.
func refKey(ref Ref) string {
	e := &Expr{Ref: ref}
	return e.String()
}

func TestConformanceInterpolate(t *testing.T) {
	var c exprCorpus
	loadJSON(t, "expressions.json", &c)
	for _, tc := range c.Interpolate.Cases {
		tm, _, err := ParseTemplate(tc.Template, Options{})
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tc.Template, err)
			continue
		}
		// The corpus's resolvers receive the whole expression text.
		resolve := func(e *Expr) (any, bool) {
			switch tc.Resolver.Kind {
			case "constant":
				return jsonNumbers(tc.Resolver.Value), true
			case "map":
				v, ok := tc.Resolver.Values[e.Text]
				return v, ok
			}
			return e.Text, true
		}
		got := tm.Expand(resolve)
		want := tc.Expected
		if d, ok := deviations["interpolate "+tc.Template]; ok {
			want = d.(string)
		}
		// A template that is one embedded expression is a string, not a
		// whole value: "{$statusCode}" gives "200".
		if Stringify(got) != want {
			t.Errorf("Eval(%q) = %#v, want %q", tc.Template, got, want)
		}
	}
}

// jsonNumbers turns encoding/json's float64 integers into int64, as the
// runner's decoder does.
func jsonNumbers(v any) any {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return int64(f)
	}
	return v
}

type criteriaCorpus struct {
	Valid []struct {
		Condition string `json:"condition"`
	} `json:"valid_conditions"`
	Invalid []struct {
		Condition string `json:"condition"`
	} `json:"invalid_conditions"`
	Evaluate struct {
		Context map[string]any `json:"context"`
		Cases   []struct {
			Condition string `json:"condition"`
			Expected  bool   `json:"expected"`
		} `json:"cases"`
	} `json:"evaluate"`
}

func TestConformanceConditions(t *testing.T) {
	var c criteriaCorpus
	loadJSON(t, "criteria.json", &c)
	for _, tc := range c.Valid {
		for _, strict := range []bool{false, true} {
			if _, _, err := CompileCriterion(CriterionSpec{Condition: tc.Condition}, Options{Strict: strict}); err != nil {
				t.Errorf("CompileCriterion(%q, strict=%v): %v", tc.Condition, strict, err)
			}
		}
	}
	for _, tc := range c.Invalid {
		if _, _, err := CompileCriterion(CriterionSpec{Condition: tc.Condition}, Options{}); err == nil {
			t.Errorf("CompileCriterion(%q) succeeded, want a syntax error", tc.Condition)
		}
	}
}

func TestConformanceEvaluate(t *testing.T) {
	var c criteriaCorpus
	loadJSON(t, "criteria.json", &c)
	ctx := mapContext{}
	for k, v := range c.Evaluate.Context {
		ctx[k] = normalize(v)
	}
	for _, tc := range c.Evaluate.Cases {
		cr, _, err := CompileCriterion(CriterionSpec{Condition: tc.Condition}, Options{})
		if err != nil {
			t.Errorf("CompileCriterion(%q): %v", tc.Condition, err)
			continue
		}
		out := cr.Evaluate(ctx)
		if out.Passed != tc.Expected || out.Err != nil {
			t.Errorf("%q: Passed = %v (err %v; %s), want %v", tc.Condition, out.Passed, out.Err, out.Explanation, tc.Expected)
		}
	}
}

// normalize converts encoding/json values to the runner's shapes.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
	default:
		return jsonNumbers(v)
	}
	return v
}
