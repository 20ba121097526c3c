package jsonptr

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ohler55/ojg/oj"
)

func TestFind(t *testing.T) {
	doc := []byte(` {"data": [ {"id": "bk_1", "status": "running", "sizeBytes": 0},
		{"id": "bk_2", "n": -1.5e3, "ok": true, "none": null, "list": [[], {}, [1, [2]]]} ],
		"hasMore": false, "a/b": 1, "m~n": 2, "": 3, "esc\"aped\u00e9\/": 4, "dup": 1, "dup": {"x": 2},
		"s": "{\"inner\": 1}", "07": "zero-seven" } `)
	if !Valid(doc) {
		t.Fatal("test document not Valid")
	}
	for _, tc := range []struct {
		ptr  string
		raw  string // "" when nothing is found
		rest string // tokens left when a scalar is reached early, joined by '/'
	}{
		{"", strings.TrimSpace(string(doc)), ""},
		{"/data/0/id", `"bk_1"`, ""},
		{"/data/0/status", `"running"`, ""},
		{"/data/0/sizeBytes", `0`, ""},
		{"/data/1/n", `-1.5e3`, ""},
		{"/data/1/ok", `true`, ""},
		{"/data/1/none", `null`, ""},
		{"/data/1/list/2/1/0", `2`, ""},
		{"/data/1/list/1", `{}`, ""},
		{"/data/1", `{"id": "bk_2", "n": -1.5e3, "ok": true, "none": null, "list": [[], {}, [1, [2]]]}`, ""},
		{"/hasMore", `false`, ""},
		{"/a~1b", `1`, ""},
		{"/m~0n", `2`, ""},
		{"/", `3`, ""},
		{"/esc\"aped\u00e9~1", `4`, ""},
		{"/dup", `{"x": 2}`, ""}, // the last member of that name counts
		{"/dup/x", `2`, ""},
		{"/07", `"zero-seven"`, ""},
		{"/s/inner", `"{\"inner\": 1}"`, "inner"}, // a string reached early: the caller decides
		{"/data/0/id/x/y", `"bk_1"`, "x/y"},
		{"/hasMore/x", `false`, "x"},
		// Nothing there.
		{"/missing", "", ""},
		{"/data/2", "", ""},
		{"/data/-", "", ""},
		{"/data/01", "", ""},
		{"/data/+1", "", ""},
		{"/data/1000000000", "", ""},
		{"/data/x", "", ""},
		{"/data/0/ID", "", ""},
		{"/data/1/list/0/0", "", ""},
		{"/data/1/list/1/a", "", ""},
		{"/a/b", "", ""},
		{"/esc\"aped\u00e9", "", ""},
	} {
		raw, rest, ok := Find(doc, tokens(tc.ptr))
		if ok != (tc.raw != "") || string(raw) != tc.raw || strings.Join(rest, "/") != tc.rest {
			t.Errorf("Find(%q) = %q, rest %q, %v; want %q, rest %q", tc.ptr, raw, rest, ok, tc.raw, tc.rest)
		}
	}
}

func TestValid(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, ` [ ] `, `"x"`, `0`, `-0`, `-0.5`, `1E5`, `1e+5`, `2.5e-3`, `0.0e1`, `true`, `null`,
		"\t{\"a\"\r\n:\n[1,\"\\u0041\\n\",{\"b\":null}]}\n", `"\ud83d\ude00"`, `{"k":"\udc00"}`, "\"\xff\xfe\"", "{\"\xff\":1}",
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	} {
		if !Valid([]byte(s)) {
			t.Errorf("Valid(%.40q) = false", s)
		}
		if !json.Valid([]byte(s)) {
			t.Errorf("test case %.40q is not JSON", s)
		}
	}
	for _, s := range []string{
		``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{a:1}`, `{"a" 1}`, `[1 2]`, `01`, `1.`, `.5`, `+1`, `-`, `1e`, `1e+`,
		`tru`, `truex`, `nul`, `[n,1]`, `"a`, "\"a\x01\"", `"\x"`, `"\u12G4"`, `"\u12"`, `1 2`, `{} {}`, `[1]]`,
		"\xef\xbb\xbf{}",        // a byte order mark
		`0e5`, `-0E+1`, `[0e1]`, // ojg rejects these (see Valid)
		`{"\ud83d\ude00":1}`, `{"a\udc00":1}`, // surrogate escapes in member names
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	} {
		if Valid([]byte(s)) {
			t.Errorf("Valid(%.40q) = true", s)
		}
	}
}

func TestCheckUnique(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + string(rune('a'+i)) + `":1`)
		}
		return b.String() + "}"
	}
	for _, tc := range []struct {
		doc           string
		valid, unique bool
	}{
		{`{"data":[{"id":"bk_1","status":"running"}],"hasMore":false}`, true, true},
		{`[{"a":1},{"a":2}]`, true, true},          // the same name in different objects
		{`{"a":{"a":{"a":1}}}`, true, true},        // and nested
		{`{"a":1,"b":2,"a":3}`, true, false},       // a duplicate
		{`[1,{"x":[{"y":1,"y":2}]}]`, true, false}, // deep inside
		{`{"a":1,"\u0061":2}`, true, false},        // an escaped name: not compared
		{`{"a\n":1}`, true, false},
		{many(16), true, true},
		{many(17), true, false}, // too many names to compare
		{`{"a":1,"a":2`, false, false},
	} {
		valid, unique := Check([]byte(tc.doc))
		if valid != tc.valid || unique != tc.unique {
			t.Errorf("Check(%s) = %v, %v; want %v, %v", tc.doc, valid, unique, tc.valid, tc.unique)
		}
	}
	doc := []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`)
	for _, p := range []string{"/data/0/status", "/hasMore", "/data/0", "/data/1", "/nope", "/data/0/id/x"} {
		r1, rest1, ok1 := Find(doc, tokens(p))
		r2, rest2, ok2 := FindFirst(doc, tokens(p))
		if string(r1) != string(r2) || len(rest1) != len(rest2) || ok1 != ok2 {
			t.Errorf("%s: Find %q %v %v, FindFirst %q %v %v", p, r1, rest1, ok1, r2, rest2, ok2)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	doc := []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false,"k\u00e9y":1}`)
	toks := []string{"data", "0", "status"}
	esc := []string{"k\u00e9y"}
	if n := testing.AllocsPerRun(100, func() {
		if !Valid(doc) {
			t.Fatal("not valid")
		}
		if _, _, ok := Find(doc, toks); !ok {
			t.Fatal("not found")
		}
		if _, _, ok := Find(doc, esc); !ok {
			t.Fatal("escaped name not found")
		}
		if _, _, ok := FindFirst(doc, toks); !ok {
			t.Fatal("not found first")
		}
	}); n != 0 {
		t.Errorf("%v allocations per Valid + Find", n)
	}
}

// FuzzFind: on every document Valid accepts, Find agrees with decoding the
// whole document with ojg (the runner's decoder) and walking the pointer;
// Valid accepts only JSON, and nothing panics on any input.
func FuzzFind(f *testing.F) {
	for _, s := range []struct{ doc, ptr string }{
		{`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`, "/data/0/status"},
		{`{"a":1,"a":{"b":[true,null,-0.0,1e400,12345678901234567890]}}`, "/a/b/4"},
		{`{"a~b/c":"x\u00e9\ud83d\ude00","":[0.1,2E-2,-7]}`, "/a~0b~1c"},
		{`[[],[{}],"s",{"x\"y":"\u0000"}]`, "/3/x\"y"},
		{`{"s":"{\"a\":[1]}"}`, "/s/a/0"},
		{`  "top"  `, ""},
		{"\xef\xbb\xbf{\"a\":1}", "/a"},
		{`0e1`, ""},
		{`{"\u00e9":1,"\u00E9":2}`, "/é"},
		{`{"a":{"b":1},"c":[{"a":2,"a":3}],"a":{"b":4}}`, "/a/b"},
		{`{"a":1,"b":{"a":2}}`, "/b/a"},
	} {
		f.Add([]byte(s.doc), s.ptr)
	}
	f.Fuzz(func(t *testing.T, doc []byte, ptr string) {
		toks := tokens(ptr)
		raw, rest, ok := Find(doc, toks) // must not panic, whatever doc is
		FindFirst(doc, toks)
		valid, unique := Check(doc)
		if valid != Valid(doc) {
			t.Fatalf("Check(%q) = %v, Valid %v", doc, valid, !valid)
		}
		if !valid {
			return
		}
		if unique {
			// The shortcut gives what the full reading gives.
			raw1, rest1, ok1 := FindFirst(doc, toks)
			if string(raw1) != string(raw) || len(rest1) != len(rest) || ok1 != ok {
				t.Fatalf("FindFirst(%q, %q) = %q, %q, %v; Find gives %q, %q, %v", doc, ptr, raw1, rest1, ok1, raw, rest, ok)
			}
		}
		if !json.Valid(doc) {
			t.Fatalf("Valid(%q) but encoding/json rejects it", doc)
		}
		whole, err := oj.Parse(doc)
		if err != nil {
			t.Fatalf("Valid(%q) but ojg rejects it: %v", doc, err)
		}
		want, wantRest, wantOK := walk(whole, toks)
		if ok != wantOK || len(rest) != len(wantRest) {
			t.Fatalf("Find(%q, %q) = %q, rest %q, %v; the decoded document gives %#v, rest %q, %v", doc, ptr, raw, rest, ok, want, wantRest, wantOK)
		}
		if !ok {
			return
		}
		got, err := oj.Parse(raw)
		if err != nil {
			t.Fatalf("Find(%q, %q) = %q, which ojg rejects: %v", doc, ptr, raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Find(%q, %q) = %q = %#v; the decoded document gives %#v", doc, ptr, raw, got, want)
		}
	})
}

// tokens splits a JSON Pointer into unescaped tokens ("" is no tokens).
func tokens(ptr string) []string {
	if ptr == "" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

var arrayIndex = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})$`)

// walk applies tokens to a decoded document: the reference Find is
// compared with.
func walk(v any, toks []string) (any, []string, bool) {
	for n, t := range toks {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[t]; !ok {
				return nil, nil, false
			}
		case []any:
			if !arrayIndex.MatchString(t) {
				return nil, nil, false
			}
			i := 0
			for _, d := range t {
				i = i*10 + int(d-'0')
			}
			if i >= len(c) {
				return nil, nil, false
			}
			v = c[i]
		default:
			return v, toks[n:], true
		}
	}
	return v, nil, true
}

// BenchmarkPollBody: what a poll attempt does with a list response, lazily
// (Valid once, three pointers) and by decoding it whole with ojg.
func BenchmarkPollBody(b *testing.B) {
	body := []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`)
	ptrs := [][]string{{"data", "0", "id"}, {"data", "0", "status"}, {"data", "0", "sizeBytes"}}
	b.Run("lazy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if valid, unique := Check(body); !valid || !unique {
				b.Fatal("not valid")
			}
			for _, p := range ptrs {
				if _, _, ok := FindFirst(body, p); !ok {
					b.Fatal("not found")
				}
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := oj.Parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPieces(b *testing.B) {
	body := []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`)
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			Valid(body)
		}
	})
	for _, p := range [][]string{{"data", "0", "id"}, {"data", "0", "status"}, {"data", "0", "sizeBytes"}} {
		b.Run("find-"+p[2], func(b *testing.B) {
			for b.Loop() {
				Find(body, p)
			}
		})
		b.Run("first-"+p[2], func(b *testing.B) {
			for b.Loop() {
				FindFirst(body, p)
			}
		})
	}
}
