package runner_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-arazzo/arazzo/runner"
)

// BenchmarkHTTPSend is one poll request through HTTPSender against a local
// server, and the same request with a bare net/http client: the sender's
// own cost per request (docs/performance.md, the poll loop ratio).
func BenchmarkHTTPSend(b *testing.B) {
	body := []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	url := srv.URL + "/v1/databases/db/backups"
	b.Run("sender", func(b *testing.B) {
		s := runner.NewHTTPSender(runner.HTTPOptions{})
		defer s.CloseIdleConnections()
		req := &runner.Request{Method: http.MethodGet, URL: url, Header: http.Header{"Authorization": {"Bearer t"}}}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := s.Send(ctx, req)
			if err != nil || resp.StatusCode != http.StatusOK || len(resp.Body) != len(body) {
				b.Fatalf("%v %v", resp, err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer hc.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer t")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || len(data) != len(body) {
				b.Fatalf("%d %v", resp.StatusCode, err)
			}
		}
	})
}
