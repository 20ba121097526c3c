package expression

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// selectJSON compiles query as RFC 9535, runs it on the JSON document doc
// and returns the node list as JSON.
func selectJSON(t *testing.T, query, doc string) string {
	t.Helper()
	p, err := CompileJSONPath(query, JSONPathRFC9535)
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("document %s: %v", doc, err)
	}
	nodes, err := p.Select(v)
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	if nodes == nil {
		nodes = []any{}
	}
	b, _ := json.Marshal(nodes)
	return string(b)
}

// TestJSONPathSelect: one case per RFC 9535 rule that ojg did not follow,
// with the node list the RFC defines.
func TestJSONPathSelect(t *testing.T) {
	shop := `{"store": {"open": true, "items": [
		{"sku": "A1", "price": 5, "tags": ["new"], "name": "Äpfel"},
		{"sku": "B2", "price": 12.5, "tags": [], "stock": null},
		{"sku": "C3", "price": "7", "tags": ["sale", "new"], "name": "café"}]}}`
	tests := []struct {
		rule, query, doc, want string
	}{
		// Blanks are allowed between segments, inside brackets, around
		// operators and arguments (RFC 9535 2.1.1, ABNF S).
		{"blanks between segments", "$ .store\n['open']", shop, `[true]`},
		{"blanks in brackets and slices", "$.store.items[ 0 :\t2 : 1 ].sku", shop, `["A1","B2"]`},
		{"blanks in filters", "$.store.items[? @.price\n>= 10 ||\r@.sku=='A1' ].sku", shop, `["A1","B2"]`},
		{"blanks in function arguments", "$.store.items[?count( @.tags[*] ) == 2].sku", shop, `["C3"]`},

		// A bracketed selection may mix any selectors, and keeps
		// duplicates (2.5.1.2).
		{"union of index and slice", "$[1, 0:2]", `[10, 11, 12]`, `[11,10,11]`},
		{"union of wildcard and index", "$[*, 0]", `["a", "b"]`, `["a","b","a"]`},
		{"union of filter and name", "$[?@ > 1, 'x']", `{"x": 1, "y": 2}`, `[2,1]`},
		{"duplicate names", "$['a', 'a']", `{"a": 1}`, `[1,1]`},

		// Descendants: a node before its descendants, arrays in order
		// (2.5.2.2).
		{"descendant order", "$..[0]", `[[1, [2]], [3]]`, `[[1,[2]],1,2,3]`},
		{"descendant names", "$..sku", shop, `["A1","B2","C3"]`},

		// Object members are visited in key order, so results are
		// reproducible (the RFC leaves the order open).
		{"object member order", "$.*", `{"b": 2, "c": 3, "a": 1}`, `[1,2,3]`},

		// Existence: a node that is null or false exists (2.3.5.2.1).
		{"existence of null", "$.store.items[?@.stock].sku", shop, `["B2"]`},
		{"non-singular existence", "$.store.items[?@.tags[*]].sku", shop, `["A1","C3"]`},
		{"negated existence", "$.store.items[?!@.name].sku", shop, `["B2"]`},

		// Comparisons (2.3.5.2.2): no conversions between types,
		// numbers by value, deep equality, Nothing only equals Nothing.
		{"string is not a number", "$.store.items[?@.price == 7].sku", shop, `[]`},
		{"!= across types", "$.store.items[?@.price != 5].sku", shop, `["B2","C3"]`},
		{"integer equals float", "$[?@ == 1.0]", `[1, 1.5, "1"]`, `[1]`},
		{"exponent literal", "$[?@ == 1e2]", `[100, 10]`, `[100]`},
		{"minus zero", "$[?@ == -0]", `[0, 1]`, `[0]`},
		{"deep equality of arrays", "$[?@.a == @.b]", `[{"a": [1, [2]], "b": [1, [2]]}, {"a": [1], "b": [1, 2]}]`, `[{"a":[1,[2]],"b":[1,[2]]}]`},
		{"deep equality of objects", "$[?@.a == @.b]", `[{"a": {"x": 1, "y": 2}, "b": {"y": 2, "x": 1.0}}, {"a": {"x": 1}, "b": {}}]`, `[{"a":{"x":1,"y":2},"b":{"x":1,"y":2}}]`},
		{"missing is not null", "$[?@.a == null]", `[{"a": null}, {}]`, `[{"a":null}]`},
		{"missing equals missing", "$[?@.a == @.b]", `[{"a": 1}, {}]`, `[{}]`},
		{"<= holds for equal booleans", "$[?@ <= true]", `[true, false, 1]`, `[true]`},
		{"< only orders numbers and strings", "$[?@ < null]", `[null, 1, "a"]`, `[]`},
		{"strings by code point", "$[?@ > 'Z']", `["a", "B", "é"]`, `["a","é"]`},

		// && binds tighter than || (2.3.5.1).
		{"precedence", "$[?@.a || @.b && @.c]", `[{"a": 1}, {"b": 1}, {"b": 1, "c": 1}]`, `[{"a":1},{"b":1,"c":1}]`},
		{"grouping", "$[?(@.a || @.b) && @.c]", `[{"a": 1}, {"a": 1, "c": 1}]`, `[{"a":1,"c":1}]`},

		// Functions (2.4).
		{"length counts characters", "$.store.items[?length(@.name) == 5].sku", shop, `["A1"]`},
		{"length of a number is Nothing", "$[?length(@) >= 0]", `[1, "ab", [1], {"a": 1}]`, `["ab",[1],{"a":1}]`},
		{"Nothing equals Nothing", "$[?length(@.a) == length(@.b)]", `[{"a": 1, "b": 2}, {"a": "x"}]`, `[{"a":1,"b":2}]`},
		{"count of nodes", "$.store.items[?count(@.tags.*) >= 1].sku", shop, `["A1","C3"]`},
		{"value of one node", "$[?value(@.*) == 4]", `[[4], [4, 4], {"k": 4}]`, `[[4],{"k":4}]`},
		{"match is anchored", "$.store.items[?match(@.sku, '[AB]')].sku", shop, `[]`},
		{"search is not", "$.store.items[?search(@.sku, '[AB]')].sku", shop, `["A1","B2"]`},
		{"match needs a string", "$.store.items[?match(@.price, '7')].sku", shop, `["C3"]`},
		{"I-Regexp dot excludes CR and LF", "$[?match(@, 'a.b')]", `["a\rb", "a\nb", "a\u2028b"]`, `["a\u2028b"]`},
		{"I-Regexp categories", "$[?search(@, '\\\\p{Lu}')]", `["abc", "aBc", "é", "É"]`, `["aBc","É"]`},
		{"not an I-Regexp is false", "$[?match(@, '\\\\d')]", `["1", "a"]`, `[]`},
		{"pattern from the document", "$.v[?search(@, $.re)]", `{"re": "^b", "v": ["ab", "ba"]}`, `["ba"]`},

		// Names and escapes in string literals (2.3.1).
		{"unicode escape", `$['\u263a']`, `{"☺": 1}`, `[1]`},
		{"surrogate pair escape", `$["\uD83D\uDE00"]`, `{"😀": 1}`, `[1]`},
		{"escaped solidus", `$['a\/b']`, `{"a/b": 1}`, `[1]`},
		{"non-ASCII member name", "$.☺", `{"☺": 1}`, `[1]`},

		// Indexes and slices (2.3.3, 2.3.4).
		{"negative index", "$[-1]", `[1, 2, 3]`, `[3]`},
		{"negative step", "$[::-2]", `[1, 2, 3, 4]`, `[4,2]`},
		{"zero step", "$[::0]", `[1, 2]`, `[]`},
		{"bounds beyond the array", "$[-100:100]", `[1, 2]`, `[1,2]`},
		{"index on an object", "$[0]", `{"0": 1}`, `[]`},
		{"name on an array", "$['0']", `[1]`, `[]`},
	}
	for _, tc := range tests {
		if got := selectJSON(t, tc.query, tc.doc); got != tc.want {
			t.Errorf("%s: %s = %s, want %s", tc.rule, tc.query, got, tc.want)
		}
	}
}

// TestJSONPathSyntax: queries RFC 9535 rejects, and where the error
// points.
func TestJSONPathSyntax(t *testing.T) {
	tests := []struct {
		rule, query string
		column      int
		msg         string
	}{
		{"no blank before the query", " $.a", 1, "no blanks before"},
		{"no blank after the query", "$.a ", 4, "blanks after the end"},
		{"comparison outside a filter", "$.a == 1", 5, "a comparison goes inside a filter"},
		{"shorthand names are identifiers", "$.1", 3, "expected a member name"},
		{"no blank after a dot", "$. a", 3, "expected a member name"},
		{"bald descendant", "$..", 4, "after '..'"},
		{"empty brackets", "$[]", 3, "empty brackets"},
		{"trailing comma", "$[0,]", 5, "expected a selector after ','"},
		{"selectors need commas", "$[0 1]", 5, "expected ',' or ']'"},
		{"current node outside a filter", "$[@.a]", 3, "only allowed inside a filter"},
		{"leading zero", "$[01]", 3, "leading zeros"},
		{"minus zero index", "$[-0]", 3, "-0 is not an index"},
		{"plus sign", "$[+1]", 3, "expected a selector"},
		{"index range", "$[9007199254740992]", 3, "outside the range"},
		{"slice bound range", "$[:-9007199254740992]", 4, "outside the range"},
		{"unterminated string", "$['a", 3, "unterminated string"},
		{"control character", "$['a\tb']", 5, "must be escaped"},
		{"foreign quote escape", `$["\'"]`, 4, `\' is not an escape`},
		{"unknown escape", `$['\x41']`, 4, "invalid escape"},
		{"lone high surrogate", `$['\uD800']`, 4, "high surrogate"},
		{"lone low surrogate", `$['\uDC00']`, 4, "low surrogate"},
		{"short unicode escape", `$['\u12']`, 8, "four hexadecimal digits"},
		{"literal alone", "$[?true]", 4, "a literal must be compared"},
		{"literal alone in ||", "$[?@.a || 1]", 11, "a literal must be compared"},
		{"capitalised literal", "$[?@ == True]", 9, "lower case"},
		{"number leading zero", "$[?@ == 01]", 9, "leading zeros"},
		{"number without fraction digits", "$[?@ == 1.]", 11, "after the decimal point"},
		{"number without exponent digits", "$[?@ == 1e+]", 12, "in the exponent"},
		{"number with plus", "$[?@ == +1]", 9, "expected a query"},
		{"wildcard in a comparison", "$[?@.* == 1]", 4, "singular query"},
		{"descendant in a comparison", "$[?$..a == 1]", 4, "singular query"},
		{"union in a comparison", "$[?@['a','b'] == 1]", 4, "singular query"},
		{"blank inside a singular query's brackets", "$[?@[ 'a' ] == 1]", 4, "singular query"},
		{"unknown function", "$[?foo(@)]", 4, "unknown JSONPath function foo()"},
		{"blank before an argument list", "$[?count (@.*) == 1]", 9, "no blank is allowed"},
		{"too many arguments", "$[?length(@.a, @.b) == 1]", 4, "takes 1 argument, not 2"},
		{"too few arguments", "$[?match(@.a)]", 4, "takes 2 arguments, not 1"},
		{"count takes a query", "$[?count(1) == 1]", 10, "must be a query"},
		{"length takes a singular query", "$[?length(@.*) == 1]", 11, "must be a value"},
		{"length takes no logical expression", "$[?length(@.a == 1) == 1]", 11, "must be a value"},
		{"a ValueType result must be compared", "$[?length(@.a)]", 4, "must be compared"},
		{"a LogicalType result cannot be compared", "$[?match(@.a, 'x') == true]", 4, "cannot be compared"},
		{"ojg extension =~", "$[?@.a =~ /x/]", 8, "found '='"},
		{"ojg extension in", "$[?@.a in ['x']]", 8, "found 'i'"},
		{"ojg arithmetic", "$[?@.a + 1 == 2]", 8, "expected ','"},
	}
	for _, tc := range tests {
		_, err := CompileJSONPath(tc.query, JSONPathRFC9535)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: %q compiled (err %v), want a syntax error", tc.rule, tc.query, err)
			continue
		}
		if se.Column != tc.column || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%s: %q: %v; want column %d and %q", tc.rule, tc.query, err, tc.column, tc.msg)
		}
	}
}

// TestJSONPathGoessnerStaysLenient: the draft has no grammar, so its
// queries keep ojg's reading, extensions included.
func TestJSONPathGoessnerStaysLenient(t *testing.T) {
	for _, q := range []string{"$[?(@.a =~ /x/)]", "$[?(@.a in ['x'])]", "$[?(@.a + 1 == 2)]", "$.a "} {
		if _, err := CompileJSONPath(strings.TrimSpace(q), JSONPathGoessner); err != nil {
			t.Errorf("Goessner %q: %v", q, err)
		}
		if _, err := CompileJSONPath(q, JSONPathRFC9535); err == nil {
			t.Errorf("RFC 9535 accepted %q", q)
		}
	}
	if _, err := CompileJSONPath("$.a", "rfc9999"); err == nil || !strings.Contains(err.Error(), "unknown jsonpath version") {
		t.Errorf("unknown version: %v", err)
	}
}

// TestJSONPathCriterionRules: how criteria use the engine: blanks around
// the query, the version, the root filter and an evaluation over Go
// values that are not generic JSON.
func TestJSONPathCriterionRules(t *testing.T) {
	ctx := &testContext{body: map[string]any{"pets": []string{"rex", "tom"}, "count": 2}}
	spec := CriterionSpec{Context: "$response.body", Condition: "$[?count(@.pets[*]) == 2]\n", Type: TypeJSONPath}
	c, warns, err := CompileCriterion(spec, Options{})
	if err != nil || len(warns) != 1 || warns[0].Code != "jsonpath-blanks" {
		t.Fatalf("lenient: %v %v", warns, err)
	}
	if out := c.Evaluate(ctx); !out.Passed || out.Err != nil {
		t.Errorf("root filter on the context object: %+v", out)
	}
	if _, _, err := CompileCriterion(spec, Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "blanks after the end") {
		t.Errorf("strict: %v", err)
	}
	spec.Condition = "$[?(@.count == 2)]"
	spec.Version = JSONPathGoessner
	if out := evaluate(t, spec, ctx); !out.Passed {
		t.Errorf("Goessner root filter: %+v", out)
	}
	spec.Version = ""
	spec.Condition = "$[?@.count =~ 2]"
	if _, _, err := CompileCriterion(spec, Options{}); err == nil || !strings.Contains(err.Error(), "column 12") {
		t.Errorf("RFC error not positioned: %v", err)
	}
}

// FuzzCompileJSONPath: any query compiles or fails with a syntax error,
// and a compiled query evaluates without error.
func FuzzCompileJSONPath(f *testing.F) {
	for _, s := range []string{"$..a[?@.b == 'c' && length(@.d) > 1]", `$["\uD83D\uDE00", 1:-1:2, *]`,
		"$[?match(@, 'a[^b-c]\\\\p{Lu}{1,2}') || !(@..x == -1.5e3)]", "$[?value($..c) == count(@[?@])]"} {
		f.Add(s)
	}
	doc := map[string]any{"a": []any{map[string]any{"b": "c", "d": "xyz", "x": -1500.0}, "Ab", int64(3)}, "c": nil}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := CompileJSONPath(s, JSONPathRFC9535)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v", s, err, err)
			}
			return
		}
		if _, err := p.Select(doc); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

var benchJSONPathDoc = map[string]any{"data": []any{
	map[string]any{"status": "done", "id": int64(1)},
	map[string]any{"status": "running", "id": int64(7)},
	map[string]any{"status": "done", "id": int64(9)},
}}

func BenchmarkJSONPathSelectPath(b *testing.B) {
	p, _ := CompileJSONPath("$.data[1].status", "")
	b.ReportAllocs()
	for b.Loop() {
		p.Select(benchJSONPathDoc)
	}
}

func BenchmarkJSONPathSelectFilter(b *testing.B) {
	p, _ := CompileJSONPath("$.data[?@.status == 'running' && @.id > 1]", "")
	b.ReportAllocs()
	for b.Loop() {
		p.Select(benchJSONPathDoc)
	}
}
