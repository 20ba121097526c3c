package runner

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// FuzzRetryAfter: any Retry-After value parses to a wait between zero and
// a year, or is ignored; the transport caps it further at MaxRetryAfter.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "2", "1.5", "-1", "NaN", "Inf", "1e308", "1000000000000",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "soon", " 3 "} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewHTTPSender(HTTPOptions{Clock: fixedClock(now)})
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if ok && (d < 0 || d > maxRetryAfterParsed) {
			t.Fatalf("parseRetryAfter(%q) = %v", v, d)
		}
		resp := &http.Response{Header: http.Header{"Retry-After": {v}}}
		if w := s.backoff(DefaultRetryWaitMin, DefaultRetryWaitMax, 1, resp); w < 0 || w > DefaultTransportMaxRetryAfter {
			t.Fatalf("transport wait %v for Retry-After %q", w, v)
		}
	})
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func (c fixedClock) Sleep(ctx context.Context, d time.Duration) error { return ctx.Err() }
