package runner

import (
	"testing"

	"github.com/go-arazzo/arazzo/openapi"
)

func TestLastRequestReuse(t *testing.T) {
	poll, other := &cstep{kind: stepOperation}, &cstep{kind: stepOperation}
	params := func(vals ...any) []openapi.ParamValue {
		out := make([]openapi.ParamValue, len(vals))
		for i, v := range vals {
			out[i] = openapi.ParamValue{Name: "p", In: "query", Value: v}
		}
		return out
	}
	built := &Request{Method: "GET", URL: "http://h/x?p=db", Header: map[string][]string{"Authorization": {"Bearer t"}}}
	var l lastRequest
	l.keep(poll, "http://h", params("db", 1.0, true, nil), nil, built)

	got := l.reuse(poll, "http://h", params("db", 1.0, true, nil), nil)
	if got == nil || got == built || got.URL != built.URL || got.Header["Authorization"][0] != "Bearer t" {
		t.Fatalf("same step and values: reuse = %+v, want a copy of the built request", got)
	}
	for name, c := range map[string]struct {
		st     *cstep
		base   string
		params []openapi.ParamValue
		body   *openapi.Body
	}{
		"another step":     {other, "http://h", params("db", 1.0, true, nil), nil},
		"another server":   {poll, "http://other", params("db", 1.0, true, nil), nil},
		"a changed value":  {poll, "http://h", params("db", 2.0, true, nil), nil},
		"a changed type":   {poll, "http://h", params("db", int64(1), true, nil), nil},
		"fewer parameters": {poll, "http://h", params("db"), nil},
		"a body":           {poll, "http://h", params("db", 1.0, true, nil), &openapi.Body{Value: "x"}},
	} {
		if l.reuse(c.st, c.base, c.params, c.body) != nil {
			t.Errorf("%s: the last request was reused", name)
		}
	}

	// Objects and arrays may change between attempts: never reused.
	l.keep(poll, "http://h", params(map[string]any{"a": 1.0}), nil, built)
	if l.reuse(poll, "http://h", params(map[string]any{"a": 1.0}), nil) != nil {
		t.Error("a request with an object parameter was reused")
	}
	// x-operation requests may have had credentials stripped: never kept.
	l.keep(&cstep{kind: stepXOperation}, "", params("db"), nil, built)
	if l.st != nil {
		t.Error("an x-operation request was kept")
	}
}
