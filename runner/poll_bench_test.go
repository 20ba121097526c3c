package runner_test

// The engine's own cost per poll attempt and per typical step, with HTTP
// replaced by canned in-memory responses (docs/performance.md, benchmarks
// 1–2 in isolation; the HTTP comparisons are in engine/).

import (
	"context"
	"net/http"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/internal/benchsvc"
	"github.com/go-arazzo/arazzo/runner"
)

// loadWorkload loads a benchsvc workload document.
func loadWorkload(tb testing.TB, file string) *arazzo.Bundle {
	tb.Helper()
	dir := tb.TempDir()
	if err := benchsvc.WriteFiles(dir); err != nil {
		tb.Fatal(err)
	}
	b, diags := arazzo.Load(context.Background(), filepath.Join(dir, file), arazzo.LoadOptions{})
	if diags.HasErrors() {
		tb.Fatalf("load %s: %v", file, diags.Errors())
	}
	return b
}

// cannedPoll answers the poll workflow's requests: the list reports the
// backup running for polls calls per run, then completed.
type cannedPoll struct {
	polls int
	lists atomic.Int64
}

var (
	jsonHeader = http.Header{"Content-Type": {"application/json"}}
	created    = []byte(`{"id":"bk_1","status":"running","label":"bench"}`)
	running    = []byte(`{"data":[{"id":"bk_1","status":"running","sizeBytes":0}],"hasMore":false}`)
	completed  = []byte(`{"data":[{"id":"bk_1","status":"completed","sizeBytes":1048576}],"hasMore":false}`)
	restoring  = []byte(`{"status":"restoring","backupId":"bk_1"}`)
)

func (c *cannedPoll) Send(ctx context.Context, req *runner.Request) (*runner.Response, error) {
	switch {
	case req.Method == http.MethodGet:
		body := running
		if int(c.lists.Add(1))%(c.polls+1) == 0 {
			body = completed
		}
		return &runner.Response{StatusCode: http.StatusOK, Header: jsonHeader, Body: body}, nil
	case len(req.URL) > 8 && req.URL[len(req.URL)-8:] == "/restore":
		return &runner.Response{StatusCode: http.StatusAccepted, Header: jsonHeader, Body: restoring}, nil
	}
	return &runner.Response{StatusCode: http.StatusAccepted, Header: jsonHeader, Body: created}, nil
}

// BenchmarkPollAttemptInMemory runs the poll workflow with 1,000 "running"
// responses and reports the engine's time and allocations per attempt.
func BenchmarkPollAttemptInMemory(b *testing.B) {
	const polls = 1000
	r, err := runner.New(loadWorkload(b, benchsvc.PollFile), runner.Options{
		Sender: &cannedPoll{polls: polls}, Servers: map[string]string{benchsvc.Source: "http://bench.invalid/v1"}})
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]any{"token": "t", "databaseId": "db"}
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Run(context.Background(), benchsvc.PollWorkflow, in)
		if err != nil {
			b.Fatal(err)
		}
		if res.Steps[1].Attempts != polls+1 {
			b.Fatalf("%d attempts", res.Steps[1].Attempts)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(polls+2), "ns/attempt")
}

// BenchmarkStepInMemory runs the one-step workflow (two parameters, a
// five-field JSON body with expressions, two criteria, two outputs) and
// the five-step one with a canned response, so that the figures are the
// engine's own cost: "1-step" and "5-steps" per run, "marginal" the cost
// of one more step ((5-steps − 1-step) / 4), without the run's own
// overhead (inputs validation, result). Targets: ≤ 15 µs and ≤ 60
// allocations per step.
func BenchmarkStepInMemory(b *testing.B) {
	body := []byte(`{"id":"it_1","status":"created","quantity":3}`)
	send := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		return &runner.Response{StatusCode: http.StatusCreated, Header: jsonHeader, Body: body}, nil
	})
	r, err := runner.New(loadWorkload(b, benchsvc.StepFile), runner.Options{
		Sender: send, Servers: map[string]string{benchsvc.Source: "http://bench.invalid/v1"}})
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]any{"token": "t", "storeId": "store-7", "name": "widget", "quantity": 3, "price": 9.5}
	run := func(b *testing.B, wf string) {
		res, err := r.Run(context.Background(), wf, in)
		if err != nil {
			b.Fatal(err)
		}
		if res.Outputs["itemId"] != "it_1" {
			b.Fatalf("outputs %v", res.Outputs)
		}
	}
	b.Run("1-step", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run(b, benchsvc.StepWorkflow)
		}
	})
	b.Run("5-steps", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run(b, benchsvc.StepsWorkflow)
		}
	})
	b.Run("marginal", func(b *testing.B) {
		const batch = 200
		var t1, t5 []float64
		var a1, a5 uint64
		for b.Loop() {
			for k, wf := range []string{benchsvc.StepWorkflow, benchsvc.StepsWorkflow} {
				m0 := mallocs()
				t0 := time.Now()
				for range batch {
					run(b, wf)
				}
				d := float64(time.Since(t0)) / batch
				a := mallocs() - m0
				if k == 0 {
					t1, a1 = append(t1, d), a1+a
				} else {
					t5, a5 = append(t5, d), a5+a
				}
			}
		}
		runs := float64(len(t1) * batch)
		b.ReportMetric((benchsvc.Median(t5)-benchsvc.Median(t1))/(benchsvc.StepsCount-1)/1e3, "µs/step")
		b.ReportMetric((float64(a5)-float64(a1))/runs/(benchsvc.StepsCount-1), "allocs/step")
	})
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// TestInMemoryWorkloads checks the canned workloads the benchmarks above
// run: the poll workflow succeeds after polls+1 list calls and reads the
// completed backup's size; the step sends all five body fields.
func TestInMemoryWorkloads(t *testing.T) {
	cp := &cannedPoll{polls: 7}
	r, err := runner.New(loadWorkload(t, benchsvc.PollFile), runner.Options{
		Sender: cp, Servers: map[string]string{benchsvc.Source: "http://bench.invalid/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), benchsvc.PollWorkflow, map[string]any{"token": "t", "databaseId": "db"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps[1].Attempts != 8 || cp.lists.Load() != 8 || res.Outputs["sizeBytes"] != int64(1048576) || res.Outputs["restoreStatus"] != "restoring" {
		t.Errorf("poll: %d attempts, %d lists, outputs %v", res.Steps[1].Attempts, cp.lists.Load(), res.Outputs)
	}
	var got *runner.Request
	send := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		got = req
		return &runner.Response{StatusCode: http.StatusCreated, Header: jsonHeader, Body: []byte(`{"id":"it_1","status":"created","quantity":3}`)}, nil
	})
	r, err = runner.New(loadWorkload(t, benchsvc.StepFile), runner.Options{
		Sender: send, Servers: map[string]string{benchsvc.Source: "http://bench.invalid/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), benchsvc.StepWorkflow, map[string]any{"token": "t", "storeId": "s1"}); err != nil {
		t.Fatal(err)
	}
	// Members in the order the workflow writes them.
	const want = `{"name":"widget","storeId":"s1","quantity":3,"price":9.5,"note":"created in s1 by the benchmark"}`
	if got == nil || string(got.Body) != want || got.URL != "http://bench.invalid/v1/stores/s1/items" || got.Header.Get("Authorization") != "Bearer t" {
		t.Errorf("request: %+v body %s; want body %s", got, got.Body, want)
	}
}
