package runner_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

// fuzzCriteria has a criterion of every type, outputs reading the body
// and headers, and a retry that honours Retry-After.
const fuzzCriteria = `        successCriteria:
          - condition: $statusCode == 200 && $response.body#/a/0 == 'x'
          - {context: $response.header.Content-Type, condition: '^application/(.+\+)?json', type: regex}
          - {context: $response.body, condition: '$[?(@.a)]', type: jsonpath}
          - {context: $response.body, condition: '//a', type: xpath}
        onFailure: [{name: again, type: retry, retryAfter: 0.5, retryLimit: 1}]
        outputs: {out: $response.body#/a, ra: $response.header.Retry-After}
`

// FuzzStepResponse feeds any response (status, media type, Retry-After,
// body) to a step with criteria of every type: the run always ends with
// a result, never panics, and never waits longer than the Retry-After cap.
func FuzzStepResponse(f *testing.F) {
	f.Add(200, "application/json", "", []byte(`{"a":["x"]}`))
	f.Add(503, "application/problem+json", "1000000000000", []byte(`{"a":[`))
	f.Add(200, "application/xml", "Fri, 31 Dec 9999 23:59:59 GMT", []byte(`<r><a>x</a></r>`))
	f.Add(429, "text/plain; charset=utf-8", "-1", []byte("\xff\xfe"))
	f.Add(0, "", "NaN", []byte(nil))
	f.Add(999, "application/octet-stream", "1e308", []byte{0, 1, 2})
	var (
		once sync.Once
		b    *arazzo.Bundle
	)
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter string, body []byte) {
		once.Do(func() { b = loadFault(t, faultFlow("getThing", fuzzCriteria, "")) })
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("Retry-After", retryAfter)
		clock := newFakeClock()
		r, err := runner.New(b, runner.Options{
			Servers: map[string]string{"api": "http://fuzz.invalid"},
			Clock:   clock,
			Sender: runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
				return &runner.Response{StatusCode: status, Header: h, Body: body}, nil
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, _ := r.Run(ctx, "w", nil)
		if res == nil || (res.Status != runner.StatusSucceeded && res.Status != runner.StatusFailed) {
			t.Fatalf("result %+v", res)
		}
		for _, d := range clock.Sleeps() {
			if d < 0 || d > runner.DefaultMaxRetryAfter {
				t.Fatalf("waited %v for Retry-After %q", d, retryAfter)
			}
		}
	})
}
