package openapi

import (
	"context"
	"io"
	"reflect"
	"testing"
)

// TestBuildRequestMatchesNewRequest: BuildRequest (what the runner uses)
// yields exactly the method, URL, headers and body NewRequest puts into
// its *http.Request, and the same errors.
func TestBuildRequestMatchesNewRequest(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		op     *Operation
		raw    string // method for BuildRawRequest when op is nil
		base   string
		params []ParamValue
		body   *Body
	}{
		{op: petOp, base: "http://h:8080/v1/", params: []ParamValue{
			{Name: "limit", In: "query", Value: 10.0},
			{Name: "petId", In: "path", Value: "a/1 b"},
			{Name: "tags", In: "query", Value: []any{"x", "y z"}},
			{Name: "X-Request-Id", In: "header", Value: "r-1"},
			{Name: "X-Extra", In: "header", Value: []any{"a", "b"}},
			{Name: "session", In: "cookie", Value: "s1"},
		}, body: &Body{Value: map[string]any{"name": "Rex", "age": 3.0, "tags": []any{"a", "é\n"}}}},
		{op: petOp, base: "HTTP://H:/v1?x=1#frag", params: []ParamValue{{Name: "petId", In: "path", Value: 7}}},
		{op: petOp, base: "http://h", params: []ParamValue{{Name: "petId", In: "path", Value: 1},
			{Name: "Content-Type", In: "header", Value: "application/x-www-form-urlencoded"}},
			body: &Body{Value: map[string]any{"a": "1"}}},
		{op: petOp, base: "http://h", params: []ParamValue{{Name: "petId", In: "path", Value: 1}}, body: &Body{Value: ""}},
		{raw: "patch", base: "http://h/items/{id}", params: []ParamValue{{Name: "id", In: "path", Value: "x"}, {Name: "q", Value: true}}},
		{raw: "bad method", base: "http://h/"},
		{op: petOp, base: "http://h", params: nil},
		{op: petOp, base: "http://[::1", params: []ParamValue{{Name: "petId", In: "path", Value: 1}}},
		{op: petOp, base: "http://h", params: []ParamValue{{Name: "petId", In: "path", Value: 1}, {Name: "X", In: "header", Value: "a\r\nB: c"}}},
	}
	for i, tc := range cases {
		var p Parts
		var perr, rerr error
		var body []byte
		var method, url string
		var header map[string][]string
		if tc.op != nil {
			p, perr = BuildRequest(tc.op, tc.base, tc.params, tc.body)
			req, err := NewRequest(ctx, tc.op, tc.base, tc.params, tc.body)
			rerr = err
			if err == nil {
				method, url, header = req.Method, req.URL.String(), req.Header
				if req.Body != nil {
					body, _ = io.ReadAll(req.Body)
				}
			}
		} else {
			p, perr = BuildRawRequest(tc.raw, tc.base, tc.params, tc.body)
			req, err := NewRawRequest(ctx, tc.raw, tc.base, tc.params, tc.body)
			rerr = err
			if err == nil {
				method, url, header = req.Method, req.URL.String(), req.Header
				if req.Body != nil {
					body, _ = io.ReadAll(req.Body)
				}
			}
		}
		if (perr == nil) != (rerr == nil) || perr != nil && perr.Error() != rerr.Error() {
			t.Errorf("case %d: errors differ: BuildRequest %v, NewRequest %v", i, perr, rerr)
			continue
		}
		if perr != nil {
			continue
		}
		if len(body) == 0 {
			body = nil
		}
		if p.Method != method || p.URL != url || !reflect.DeepEqual(map[string][]string(p.Header), header) || string(p.Body) != string(body) || (p.Body == nil) != (body == nil) {
			t.Errorf("case %d:\nBuildRequest %s %s %v %q\nNewRequest   %s %s %v %q", i, p.Method, p.URL, p.Header, p.Body, method, url, header, body)
		}
	}
}

// BenchmarkBuildRequest is BenchmarkNewRequest without the *http.Request.
func BenchmarkBuildRequest(b *testing.B) {
	op := &Operation{
		Method: "POST",
		Path:   "/stores/{storeId}/pets",
		Parameters: []*Parameter{
			{Name: "storeId", In: "path", Style: "simple"},
			{Name: "dryRun", In: "query", Style: "form", Explode: true},
		},
		RequestBody: &RequestBody{ContentTypes: []string{"application/json"}},
	}
	params := []ParamValue{{Name: "storeId", In: "path", Value: "s-42"}, {Name: "dryRun", In: "query", Value: true}}
	body := &Body{Value: map[string]any{"name": "Rex", "age": 3.0, "tags": []any{"a", "b"}, "vaccinated": true, "owner": nil}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(op, "https://api.example.com/v1", params, body); err != nil {
			b.Fatal(err)
		}
	}
}
