package runner

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/go-arazzo/arazzo/expression"
)

// valueOnly hides scope.ResolvePointer: expressions then decode the whole
// body and walk the pointer, the reference the lazy path must match.
type valueOnly struct{ sc *scope }

func (v valueOnly) Value(ref expression.Ref) (any, bool) { return v.sc.Value(ref) }

// bodyScope is the scope of an attempt that received body.
func bodyScope(contentType string, body []byte) *scope {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &scope{resp: &Response{StatusCode: 200, Header: h, Body: body}}
}

// lazyAgrees evaluates `$response.body` + pointer on the raw bytes, on the
// decoded body, and once more after the body was decoded, and fails unless
// all three agree.
func lazyAgrees(t *testing.T, contentType string, body []byte, pointer string) (any, bool, bool) {
	t.Helper()
	e, _, err := expression.Parse("$response.body#"+pointer, expression.Options{})
	if err != nil {
		return nil, false, false
	}
	lazy := bodyScope(contentType, body)
	got, gotOK := e.Eval(lazy)
	decodedBefore := lazy.bodyDone
	want, wantOK := e.Eval(valueOnly{bodyScope(contentType, body)})
	if gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %q on %q: lazily %#v, %v; decoded %#v, %v", contentType, e.Text, body, got, gotOK, want, wantOK)
	}
	// Whole-body uses still see the whole body, decoded once.
	whole, _ := lazy.Value(expression.Ref{Kind: expression.KindResponseBody})
	ref, _ := valueOnly{bodyScope(contentType, body)}.Value(expression.Ref{Kind: expression.KindResponseBody})
	if !reflect.DeepEqual(whole, ref) {
		t.Fatalf("%s %q: whole body after a lazy read %#v, want %#v", contentType, body, whole, ref)
	}
	if again, againOK := e.Eval(lazy); againOK != wantOK || !reflect.DeepEqual(again, want) {
		t.Fatalf("%s %q on %q after decoding: %#v, %v; want %#v, %v", contentType, e.Text, body, again, againOK, want, wantOK)
	}
	return got, gotOK, !decodedBefore
}

func TestLazyResponseBody(t *testing.T) {
	poll := []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":1048576,"ratio":0.5,"big":123456789012345678901}],"hasMore":false}`)
	for _, tc := range []struct {
		contentType string
		body        string
		pointer     string
		want        any
		found       bool
		lazy        bool // answered without decoding the whole body
	}{
		{"application/json", string(poll), "/data/0/status", "running", true, true},
		{"application/json; charset=utf-8", string(poll), "/data/0/sizeBytes", int64(1048576), true, true},
		{"application/problem+json", string(poll), "/data/0/ratio", 0.5, true, true},
		{"application/json", string(poll), "/data/0/big", nil, true, true}, // json.Number, checked by equality with the decoded body
		{"application/json", string(poll), "/hasMore", false, true, true},
		{"application/json", `{"n":null,"t":true,"i":-0,"j":-123456789012345678,"k":1234567890123456789}`, "/n", nil, true, true},
		{"application/json", `{"n":null,"t":true,"i":-0,"j":-123456789012345678,"k":1234567890123456789}`, "/t", true, true, true},
		{"application/json", `{"n":null,"t":true,"i":-0,"j":-123456789012345678,"k":1234567890123456789}`, "/i", int64(0), true, true},
		{"application/json", `{"n":null,"t":true,"i":-0,"j":-123456789012345678,"k":1234567890123456789}`, "/j", int64(-123456789012345678), true, true},
		{"application/json", `{"n":null,"t":true,"i":-0,"j":-123456789012345678,"k":1234567890123456789}`, "/k", nil, true, true}, // 19 digits: ojg's choice, compared with the decoded body
		{"application/json", string(poll), "/data/0", nil, true, true},
		{"application/json", string(poll), "/data/1/status", nil, false, true},
		{"application/json", string(poll), "/data/0/sizeBytes/x", nil, false, true},
		{"application/json", string(poll), "/data/0/status/x", nil, false, false},          // inside a string: the walk decides
		{"", string(poll), "/data/0/id", "bk_1", true, true},                               // no media type, JSON by shape
		{"application/json", `{"s":"caf\u00e9 \ud83d\ude00"}`, "/s", nil, true, true},      // escapes: ojg decodes the value
		{"application/json", `{"a":1,"a":2}`, "/a", int64(2), true, true},                  // last member wins
		{"application/json", `{"s":"{\"in\":[7]}"}`, "/s/in/0", int64(7), true, false},     // JSON inside a string: the walk decodes it
		{"application/json", `{"a":0e1}`, "/a", nil, false, false},                         // not Valid: the decoded body (here: text) answers
		{"application/json", "\xef\xbb\xbf{\"a\":1}", "/a", int64(1), true, false},         // byte order mark
		{"application/json", `{"a":1`, "/a", nil, false, false},                            // invalid JSON
		{"application/json", `[n,1]`, "/0", int64(1), true, false},                         // ojg accepts this; Valid does not
		{"text/plain", `{"a":1}`, "/a", int64(1), true, false},                             // text: the walk decodes it
		{"application/xml", `<a>1</a>`, "/a", nil, false, false},                           // not JSON at all
		{"application/json", `{"\ud83d\ude00":1}`, "/\ufffd\ufffd", int64(1), true, false}, // ojg's decoding of surrogates
	} {
		got, found, lazy := lazyAgrees(t, tc.contentType, []byte(tc.body), tc.pointer)
		if found != tc.found || lazy != tc.lazy || tc.want != nil && got != tc.want {
			t.Errorf("%s %s on %q = %#v, found %v, lazy %v; want %#v, %v, lazy %v", tc.contentType, tc.pointer, tc.body, got, found, lazy, tc.want, tc.found, tc.lazy)
		}
	}
}

// FuzzLazyResponseBody: for any body, media type and pointer, an
// expression reads the same value from the raw bytes as from the decoded
// body.
func FuzzLazyResponseBody(f *testing.F) {
	for _, s := range []struct{ body, ptr string }{
		{`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`, "/data/0/status"},
		{`{"a":[1.5,-2,1e400,99999999999999999999,"x\\y"]}`, "/a/4"},
		{`{"s":"{\"in\":[7]}"}`, "/s/in/0"},
		{`{"a~b/c":{"":null}}`, "/a~0b~1c/"},
		{"\xef\xbb\xbf[1]", "/0"},
		{`[-0,0,123456789012345678,-123456789012345678,1234567890123456789,9223372036854775807,-9223372036854775808,9223372036854775808]`, "/6"},
		{`{"t":true,"f":false,"n":null}`, "/n"},
		{`[n,1]`, "/0"},
	} {
		f.Add([]byte(s.body), s.ptr, uint8(0))
	}
	types := []string{"application/json", "", "text/plain", "application/vnd.api+json; charset=utf-8", "application/octet-stream"}
	f.Fuzz(func(t *testing.T, body []byte, ptr string, ct uint8) {
		lazyAgrees(t, types[int(ct)%len(types)], body, ptr)
	})
}
