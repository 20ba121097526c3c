package openapi

import (
	"context"
	"strings"
	"testing"
)

var (
	color  = "blue"
	colors = []any{"blue", "black", "brown"}
	// Members serialize in sorted key order, so the table's R,G,B rows
	// read B,G,R here.
	rgb = map[string]any{"R": 100.0, "G": 200.0, "B": 150.0}
)

// serialize sends value as the parameter "color" described with in, style
// and explode, and returns what reached the wire for it.
func serialize(t *testing.T, in, style string, explode, allowReserved bool, value any) string {
	t.Helper()
	path := "/x"
	if in == "path" {
		path = "/x/{color}"
	}
	op := &Operation{Method: "GET", Path: path, Parameters: []*Parameter{{Name: "color", In: in, Style: style, Explode: explode, AllowReserved: allowReserved}}}
	req, err := NewRequest(context.Background(), op, "http://example.com", []ParamValue{{Name: "color", In: in, Value: value}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	switch in {
	case "path":
		return strings.TrimPrefix(req.URL.EscapedPath(), "/x/")
	case "query":
		return req.URL.RawQuery
	case "header":
		return req.Header.Get("color")
	case "cookie":
		return req.Header.Get("Cookie")
	}
	return ""
}

// TestStyleTable checks every row of the OpenAPI "Style Examples" table.
func TestStyleTable(t *testing.T) {
	for _, tc := range []struct {
		in, style            string
		explode              bool
		empty, str, arr, obj string // "-" = not applicable
	}{
		{"path", "matrix", false, ";color", ";color=blue", ";color=blue,black,brown", ";color=B,150,G,200,R,100"},
		{"path", "matrix", true, ";color", ";color=blue", ";color=blue;color=black;color=brown", ";B=150;G=200;R=100"},
		{"path", "label", false, ".", ".blue", ".blue,black,brown", ".B,150,G,200,R,100"},
		{"path", "label", true, ".", ".blue", ".blue.black.brown", ".B=150.G=200.R=100"},
		{"path", "simple", false, "", "blue", "blue,black,brown", "B,150,G,200,R,100"},
		{"path", "simple", true, "", "blue", "blue,black,brown", "B=150,G=200,R=100"},
		{"query", "form", false, "color=", "color=blue", "color=blue,black,brown", "color=B,150,G,200,R,100"},
		{"query", "form", true, "color=", "color=blue", "color=blue&color=black&color=brown", "B=150&G=200&R=100"},
		{"query", "spaceDelimited", false, "-", "-", "color=blue%20black%20brown", "color=B%20150%20G%20200%20R%20100"},
		{"query", "pipeDelimited", false, "-", "-", "color=blue%7Cblack%7Cbrown", "color=B%7C150%7CG%7C200%7CR%7C100"},
		{"query", "deepObject", true, "-", "-", "-", "color%5BB%5D=150&color%5BG%5D=200&color%5BR%5D=100"},
		{"query", "tabDelimited", false, "-", "-", "color=blue%09black%09brown", "-"},
		{"header", "simple", false, "", "blue", "blue,black,brown", "B,150,G,200,R,100"},
		{"header", "simple", true, "", "blue", "blue,black,brown", "B=150,G=200,R=100"},
		{"cookie", "form", false, "color=", "color=blue", "color=blue,black,brown", "color=B,150,G,200,R,100"},
		{"cookie", "form", true, "color=", "color=blue", "color=blue; color=black; color=brown", "B=150; G=200; R=100"},
		{"cookie", "cookie", true, "color=", "color=blue", "color=blue; color=black; color=brown", "B=150; G=200; R=100"},
	} {
		name := tc.in + "/" + tc.style + "/" + map[bool]string{true: "explode", false: "noexplode"}[tc.explode]
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				value any
				want  string
			}{{"", tc.empty}, {nil, tc.empty}, {color, tc.str}, {colors, tc.arr}, {rgb, tc.obj}} {
				if c.want == "-" {
					continue
				}
				if got := serialize(t, tc.in, tc.style, tc.explode, false, c.value); got != c.want {
					t.Errorf("%#v: got %q, want %q", c.value, got, c.want)
				}
			}
		})
	}
}

func TestParameterEncoding(t *testing.T) {
	for _, tc := range []struct {
		name, in, style string
		explode, res    bool
		value           any
		want            string
	}{
		{"path reserved", "path", "simple", false, false, "a/b c?d#e", "a%2Fb%20c%3Fd%23e"},
		{"path allowReserved ignored", "path", "simple", false, true, "a/b", "a%2Fb"},
		{"path unicode", "path", "simple", false, false, "é", "%C3%A9"},
		{"path unreserved", "path", "simple", false, false, "A-z_0.9~", "A-z_0.9~"},
		{"query space", "query", "form", true, false, "a b+c", "color=a%20b%2Bc"},
		{"query allowReserved", "query", "form", true, true, "/a/b?c:d@e!$'()*,;=", "color=/a/b?c:d@e!$'()*,;="},
		{"query allowReserved still encodes", "query", "form", true, true, "a&b#c[d]+e f", "color=a%26b%23c%5Bd%5D%2Be%20f"},
		{"query allowReserved keeps triples", "query", "form", true, true, "%41%zz100%", "color=%41%25zz100%25"},
		{"integral float", "query", "form", true, false, 100.0, "color=100"},
		{"fraction", "query", "form", true, false, 1.5, "color=1.5"},
		{"large float", "query", "form", true, false, 1e20, "color=100000000000000000000"},
		{"int64", "query", "form", true, false, int64(-7), "color=-7"},
		{"bool", "query", "form", true, false, true, "color=true"},
		{"nested array item", "query", "form", false, false, []any{[]any{1.0, 2.0}, "x"}, "color=%5B1%2C2%5D,x"},
		{"empty array explode", "query", "form", true, false, []any{}, ""},
		{"empty array", "query", "form", false, false, []any{}, "color="},
		{"deep nested", "query", "deepObject", true, false, map[string]any{"a": map[string]any{"b": "c"}, "l": []any{1.0, 2.0}}, "color%5Ba%5D%5Bb%5D=c&color%5Bl%5D=1&color%5Bl%5D=2"},
		{"deepObject scalar", "query", "deepObject", true, false, "x", "color=x"},
		{"string slice", "query", "form", false, false, []string{"a", "b"}, "color=a,b"},
		{"int slice", "query", "form", false, false, []int{1, 2}, "color=1,2"},
		{"string map", "query", "form", true, false, map[string]string{"k": "v w"}, "k=v%20w"},
		{"header raw", "header", "simple", false, false, "Bearer a/b=", "Bearer a/b="},
		{"cookie style raw", "cookie", "cookie", true, false, "a b", "color=a b"},
		{"cookie form encodes", "cookie", "form", true, false, "a b;c", "color=a%20b%3Bc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := serialize(t, tc.in, tc.style, tc.explode, tc.res, tc.value); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
