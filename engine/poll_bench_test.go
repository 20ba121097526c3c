package engine_test

// Benchmarks 1–4 of docs/performance.md (poll loop versus a bare client,
// per-step overhead, memory over long polls, concurrency) and the fast
// tests that check their workloads do what the benchmarks claim.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/benchsvc"
	"github.com/go-arazzo/arazzo/runner"
)

const benchToken = "bench-token"

// benchDoc writes the workload documents into a temporary directory and
// opens file with its source pointed at baseURL.
func benchDoc(tb testing.TB, file, baseURL string, opts ...engine.Option) *engine.Document {
	tb.Helper()
	dir := tb.TempDir()
	if err := benchsvc.WriteFiles(dir); err != nil {
		tb.Fatal(err)
	}
	opts = append([]engine.Option{engine.WithServer(benchsvc.Source, baseURL)}, opts...)
	doc, err := engine.Open(context.Background(), filepath.Join(dir, file), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	if !doc.Valid() {
		tb.Fatalf("workload document %s is invalid: %v", file, doc.Diagnostics().Errors())
	}
	return doc
}

func pollInputs(db string) map[string]any {
	return map[string]any{"token": benchToken, "databaseId": db}
}

func stepInputs() map[string]any {
	return map[string]any{"token": benchToken, "storeId": "store-7", "name": "widget", "quantity": 3, "price": 9.5}
}

func newBare(srv *httptest.Server) *benchsvc.Bare {
	return &benchsvc.Bare{Client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		BaseURL: srv.URL + "/v1", Token: benchToken}
}

// runPoll runs the poll workflow once and checks it succeeded.
func runPoll(tb testing.TB, doc *engine.Document, db string) *engine.Result {
	res, err := doc.Run(context.Background(), benchsvc.PollWorkflow, pollInputs(db))
	if err != nil {
		tb.Fatalf("poll workflow: %v", err)
	}
	return res
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// BenchmarkPollLoop runs the poll workflow (N = 1,000 "running" list
// responses, then "completed", then the restore) with the engine and the
// same requests with the bare client, interleaved so that noise hits
// both, and reports the medians and their ratio. The target is a ratio
// of at most 1.25.
func BenchmarkPollLoop(b *testing.B) {
	const n = 1000
	const pairs = 3 // engine/bare pairs per benchmark iteration
	svc := &benchsvc.Server{Polls: n, Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	doc := benchDoc(b, benchsvc.PollFile, srv.URL+"/v1")
	bare := newBare(srv)
	// Warm both up: connections, lazily built state.
	runPoll(b, doc, "warm")
	if _, err := bare.BackupAndRestore("warm", n); err != nil {
		b.Fatal(err)
	}
	var eng, flo []float64
	var engAllocs, bareAllocs uint64
	i := 0
	b.ResetTimer()
	for b.Loop() {
		for range pairs {
			i++
			engFirst := i%2 == 0
			for k := 0; k < 2; k++ {
				m0 := mallocs()
				t0 := time.Now()
				if engFirst == (k == 0) {
					res := runPoll(b, doc, "db")
					eng = append(eng, float64(time.Since(t0)))
					engAllocs += mallocs() - m0
					if a := res.Steps[1].Attempts; a != n+1 {
						b.Fatalf("engine polled %d times, want %d", a, n+1)
					}
				} else {
					r, err := bare.BackupAndRestore("db", n)
					flo = append(flo, float64(time.Since(t0)))
					bareAllocs += mallocs() - m0
					if err != nil || r.Lists != n+1 {
						b.Fatalf("bare client: %d lists, %v", r.Lists, err)
					}
				}
			}
		}
	}
	runs := float64(len(eng))
	me, mb := benchsvc.Median(eng), benchsvc.Median(flo)
	b.ReportMetric(me/1e6, "engine-ms")
	b.ReportMetric(mb/1e6, "bare-ms")
	b.ReportMetric(me/mb, "ratio")
	b.ReportMetric((me-mb)/float64(n+2)/1e3, "overhead-µs/step")
	b.ReportMetric((float64(engAllocs)-float64(bareAllocs))/runs/float64(n+2), "extra-allocs/step")
	b.ReportMetric(runs, "runs")
}

// BenchmarkStepOverhead measures one typical step (two parameters, a JSON
// body of five fields with runtime expressions, two success criteria, two
// outputs): "overhead" interleaves the engine and the bare client against
// the same local server and reports the difference per step; "engine" and
// "bare" measure each alone with allocations; "in-memory" replaces HTTP
// with a runner.SenderFunc that returns a canned response, so that
// allocs/op is the engine's own cost. Each run is one whole workflow
// (inputs validation and result included), so the per-step figures are an
// upper bound.
func BenchmarkStepOverhead(b *testing.B) {
	svc := &benchsvc.Server{Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	ctx := context.Background()
	in := stepInputs()
	checkStep := func(res *engine.Result, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if res.Outputs["itemId"] == nil {
			b.Fatalf("no itemId output: %v", res.Outputs)
		}
	}
	b.Run("overhead", func(b *testing.B) {
		// Three measurements per iteration, in rotating order: the 1-step
		// workflow, the 5-step one, and the bare client's request. The
		// marginal engine time of a step is (5-step − 1-step) / 4; the
		// overhead is that minus the bare round trip.
		doc := benchDoc(b, benchsvc.StepFile, srv.URL+"/v1")
		bare := newBare(srv)
		var e1, e5, b1 []float64
		var a1, a5, ab uint64
		i := 0
		for b.Loop() {
			i++
			for k := range 3 {
				m0 := mallocs()
				t0 := time.Now()
				switch (i + k) % 3 {
				case 0:
					res, err := doc.Run(ctx, benchsvc.StepWorkflow, in)
					e1 = append(e1, float64(time.Since(t0)))
					a1 += mallocs() - m0
					checkStep(res, err)
				case 1:
					res, err := doc.Run(ctx, benchsvc.StepsWorkflow, in)
					e5 = append(e5, float64(time.Since(t0)))
					a5 += mallocs() - m0
					checkStep(res, err)
				default:
					_, _, err := bare.CreateItem("store-7", "widget", 3, 9.5)
					b1 = append(b1, float64(time.Since(t0)))
					ab += mallocs() - m0
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		m1, m5, mb := benchsvc.Median(e1), benchsvc.Median(e5), benchsvc.Median(b1)
		step := (m5 - m1) / (benchsvc.StepsCount - 1)
		n := float64(i)
		b.ReportMetric(step/1e3, "engine-µs/step")
		b.ReportMetric(mb/1e3, "bare-µs/step")
		b.ReportMetric((step-mb)/1e3, "overhead-µs/step")
		b.ReportMetric((m1-mb)/1e3, "overhead-µs/1-step-run")
		b.ReportMetric((float64(a5)-float64(a1))/n/(benchsvc.StepsCount-1)-float64(ab)/n, "extra-allocs/step")
	})
	b.Run("engine", func(b *testing.B) {
		doc := benchDoc(b, benchsvc.StepFile, srv.URL+"/v1")
		b.ReportAllocs()
		for b.Loop() {
			checkStep(doc.Run(ctx, benchsvc.StepWorkflow, in))
		}
	})
	b.Run("bare", func(b *testing.B) {
		bare := newBare(srv)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := bare.CreateItem("store-7", "widget", 3, 9.5); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("in-memory", func(b *testing.B) {
		doc := benchDoc(b, benchsvc.StepFile, "http://127.0.0.1:9/v1", engine.WithSender(cannedItem()))
		b.ReportAllocs()
		for b.Loop() {
			checkStep(doc.Run(ctx, benchsvc.StepWorkflow, in))
		}
	})
	b.Run("in-memory-5-steps", func(b *testing.B) {
		doc := benchDoc(b, benchsvc.StepFile, "http://127.0.0.1:9/v1", engine.WithSender(cannedItem()))
		b.ReportAllocs()
		for b.Loop() {
			checkStep(doc.Run(ctx, benchsvc.StepsWorkflow, in))
		}
	})
}

// cannedItem answers every request with the item service's 201 response,
// so that a run costs only what the engine does.
func cannedItem() runner.Sender {
	hdr := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"id":"it_1","status":"created","quantity":3}`)
	return runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		return &runner.Response{StatusCode: http.StatusCreated, Header: hdr, Body: body}, nil
	})
}

// memSender serves requests from svc in memory, without a network.
func memSender(svc *benchsvc.Server) runner.Sender {
	return runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		code, h, body, err := svc.Do(req.Method, req.URL, req.Header, req.Body)
		if err != nil {
			return nil, err
		}
		return &runner.Response{StatusCode: code, Header: h, Body: body}, nil
	})
}

// heapSampler is an observer that samples the heap every `every` poll
// attempts: the peak of live and not-yet-collected heap objects, and the
// live heap right after a forced collection at the attempts listed in at.
type heapSampler struct {
	every    int
	at       map[int]bool
	attempts int
	peak     uint64
	after    map[int]uint64
	sample   []metrics.Sample
}

func newHeapSampler(every int, at ...int) *heapSampler {
	h := &heapSampler{every: every, at: map[int]bool{}, after: map[int]uint64{},
		sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
	for _, a := range at {
		h.at[a] = true
	}
	return h
}

func (h *heapSampler) Observe(e runner.Event) {
	ev, ok := e.(runner.StepAttempt)
	if !ok || ev.StepID != "pollBackup" {
		return
	}
	h.attempts++
	if h.attempts%h.every == 0 {
		metrics.Read(h.sample)
		if v := h.sample[0].Value.Uint64(); v > h.peak {
			h.peak = v
		}
	}
	if h.at[h.attempts] {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.after[h.attempts] = m.HeapAlloc
	}
}

// longPoll runs the poll workflow with polls "running" responses served in
// memory and returns the sampler (attempts counted, heap sampled).
func longPoll(tb testing.TB, polls, early int) *heapSampler {
	svc := &benchsvc.Server{Polls: polls, Token: benchToken}
	h := newHeapSampler(1000, early, polls)
	doc := benchDoc(tb, benchsvc.PollFile, "http://bench.invalid/v1",
		engine.WithSender(memSender(svc)), engine.WithObserver(h), engine.WithStepBudget(polls+10))
	runtime.GC()
	res := runPoll(tb, doc, "db-long")
	if a := res.Steps[1].Attempts; a != polls+1 {
		tb.Fatalf("polled %d times, want %d", a, polls+1)
	}
	if c := svc.Counts(); c.Lists != int64(polls+1) || c.Restores != 1 {
		tb.Fatalf("server saw %+v, want %d lists and 1 restore", c, polls+1)
	}
	return h
}

// BenchmarkLongPoll polls 100,000 times (in memory, so that it takes
// seconds) and reports the peak heap and the live heap after 10,000 and
// after 100,000 attempts. The target is a peak under 32 MiB and no growth.
func BenchmarkLongPoll(b *testing.B) {
	const polls, early = 100000, 10000
	var h *heapSampler
	for b.Loop() {
		h = longPoll(b, polls, early)
	}
	b.ReportMetric(float64(h.peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(h.after[early])/(1<<10), "live-10k-KiB")
	b.ReportMetric(float64(h.after[polls])/(1<<10), "live-100k-KiB")
	b.ReportMetric(float64(h.after[polls])-float64(h.after[early]), "growth-B")
}

// BenchmarkConcurrentRuns runs 1,000 poll workflows (3 "running"
// responses each) at once through one opened document against a local
// server, and reports throughput and the p50/p99 workflow latency.
func BenchmarkConcurrentRuns(b *testing.B) {
	const workflows = 1000
	svc := &benchsvc.Server{Polls: 3, Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	doc := benchDoc(b, benchsvc.PollFile, srv.URL+"/v1")
	var lat []float64
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		lat = append(lat, concurrentRuns(b, doc, workflows)...)
		total += time.Since(t0)
	}
	b.ReportMetric(float64(len(lat))/total.Seconds(), "workflows/s")
	b.ReportMetric(benchsvc.Percentile(lat, 50)/1e6, "p50-ms")
	b.ReportMetric(benchsvc.Percentile(lat, 99)/1e6, "p99-ms")
}

// concurrentRuns runs n poll workflows at once, each on its own database,
// and returns their latencies in nanoseconds.
func concurrentRuns(tb testing.TB, doc *engine.Document, n int) []float64 {
	lat := make([]float64, n)
	var failed atomic.Int64
	var first sync.Once
	var firstErr error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			res, err := doc.Run(context.Background(), benchsvc.PollWorkflow, pollInputs(fmt.Sprintf("db-%d", i)))
			lat[i] = float64(time.Since(t0))
			if err == nil && res.Outputs["restoreStatus"] != "restoring" {
				err = fmt.Errorf("workflow %d: restoreStatus %v", i, res.Outputs["restoreStatus"])
			}
			if err != nil {
				failed.Add(1)
				first.Do(func() { firstErr = err })
			}
		}()
	}
	close(start)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		tb.Fatalf("%d of %d concurrent workflows failed; first: %v", f, n, firstErr)
	}
	return lat
}

// TestPollWorkloadMatchesBare checks the poll-loop workload: the engine's
// run succeeds after exactly Polls+1 list calls with the service's
// outputs, and the bare client makes the same calls and finds the same.
func TestPollWorkloadMatchesBare(t *testing.T) {
	const polls = 25
	svc := &benchsvc.Server{Polls: polls, Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	doc := benchDoc(t, benchsvc.PollFile, srv.URL+"/v1")
	res := runPoll(t, doc, "db-check")
	if res.Status != runner.StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	if got := res.Steps[1].Attempts; got != polls+1 {
		t.Errorf("engine: pollBackup attempts = %d, want %d", got, polls+1)
	}
	if c := svc.Counts(); c != (benchsvc.Counts{Creates: 1, Lists: polls + 1, Restores: 1}) {
		t.Errorf("engine run: server counts %+v, want 1 create, %d lists, 1 restore", c, polls+1)
	}
	bare, err := newBare(srv).BackupAndRestore("db-check", benchsvc.PollRetryLimit)
	if err != nil {
		t.Fatal(err)
	}
	if c := svc.Counts(); c != (benchsvc.Counts{Creates: 2, Lists: 2 * (polls + 1), Restores: 2}) {
		t.Errorf("after the bare run: server counts %+v, want the engine's calls twice", c)
	}
	if bare.Lists != polls+1 {
		t.Errorf("bare: %d list calls, want %d", bare.Lists, polls+1)
	}
	if res.Outputs["restoreStatus"] != bare.RestoreStatus || bare.RestoreStatus != "restoring" {
		t.Errorf("restoreStatus: engine %v, bare %q, want restoring", res.Outputs["restoreStatus"], bare.RestoreStatus)
	}
	if fmt.Sprint(res.Outputs["sizeBytes"]) != fmt.Sprint(bare.SizeBytes) || bare.SizeBytes == 0 {
		t.Errorf("sizeBytes: engine %v, bare %d", res.Outputs["sizeBytes"], bare.SizeBytes)
	}
	if id, _ := res.Outputs["backupId"].(string); id == "" || id == bare.BackupID {
		t.Errorf("backup ids: engine %q, bare %q; want two distinct backups", id, bare.BackupID)
	}
}

// TestPollWorkloadFailsLikeBare: a backup that never completes within the
// limit fails both ways (the benchmark's checks are real checks).
func TestPollWorkloadFailsLikeBare(t *testing.T) {
	svc := &benchsvc.Server{Polls: 5, Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	if _, err := newBare(srv).BackupAndRestore("db", 2); err == nil {
		t.Error("bare client: no error after 2 retries of a backup that needs 5")
	}
	bad := &benchsvc.Bare{Client: http.DefaultClient, BaseURL: srv.URL + "/v1", Token: "wrong"}
	if _, err := bad.BackupAndRestore("db", 10); err == nil {
		t.Error("bare client: no error with a wrong token")
	}
	doc := benchDoc(t, benchsvc.PollFile, srv.URL+"/v1")
	res, err := doc.Run(context.Background(), benchsvc.PollWorkflow, map[string]any{"token": "wrong", "databaseId": "db"})
	if err == nil || res.Status != runner.StatusFailed {
		t.Errorf("engine with a wrong token: status %v, err %v; want failed", res.Status, err)
	}
}

// TestStepWorkloadMatchesBare checks the per-step workload: the server
// accepts the engine's body (all five fields) and both clients read the
// same outputs; the canned in-memory sender yields the same outputs.
func TestStepWorkloadMatchesBare(t *testing.T) {
	svc := &benchsvc.Server{Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	doc := benchDoc(t, benchsvc.StepFile, srv.URL+"/v1")
	res, err := doc.Run(context.Background(), benchsvc.StepWorkflow, stepInputs())
	if err != nil {
		t.Fatal(err)
	}
	st := res.Steps[0]
	if st.StatusCode != http.StatusCreated || len(st.Criteria) != 2 || len(st.Outputs) != 2 {
		t.Errorf("step: status %d, %d criteria, %d outputs; want 201, 2, 2", st.StatusCode, len(st.Criteria), len(st.Outputs))
	}
	id, qty, err := newBare(srv).CreateItem("store-7", "widget", 3, 9.5)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(st.Outputs["quantity"]) != fmt.Sprint(qty) || qty != 3 {
		t.Errorf("quantity: engine %v, bare %d", st.Outputs["quantity"], qty)
	}
	if eid, _ := st.Outputs["itemId"].(string); eid == "" || id == "" || eid == id {
		t.Errorf("item ids: engine %q, bare %q; want two distinct items", eid, id)
	}
	if c := svc.Counts(); c.Items != 2 {
		t.Errorf("server created %d items, want 2", c.Items)
	}
	mem := benchDoc(t, benchsvc.StepFile, "http://127.0.0.1:9/v1", engine.WithSender(cannedItem()))
	mres, err := mem.Run(context.Background(), benchsvc.StepWorkflow, stepInputs())
	if err != nil {
		t.Fatal(err)
	}
	if mres.Outputs["itemId"] != "it_1" || fmt.Sprint(mres.Steps[0].Outputs["quantity"]) != "3" {
		t.Errorf("in-memory run outputs %v, step outputs %v", mres.Outputs, mres.Steps[0].Outputs)
	}
}

// TestLongPollMemoryFlat is the structural check behind BenchmarkLongPoll:
// the live heap after many poll attempts is not larger than after a tenth
// of them (a per-attempt retention of responses or events would grow it
// linearly). It runs in memory and takes about a second.
func TestLongPollMemoryFlat(t *testing.T) {
	polls := 30000
	if raceEnabled || testing.Short() {
		polls = 5000
	}
	early := polls / 10
	h := longPoll(t, polls, early)
	a, z := h.after[early], h.after[polls]
	t.Logf("live heap after %d attempts: %d KiB; after %d: %d KiB; peak %d KiB", early, a>>10, polls, z>>10, h.peak>>10)
	// A response retained per attempt would add ≥ 100 bytes × 9/10 of the
	// attempts; allow a quarter of that as noise.
	if limit := a + uint64(polls)*100*9/10/4; z > limit {
		t.Errorf("live heap grew from %d to %d bytes between attempt %d and %d (limit %d): something is kept per attempt", a, z, early, polls, limit)
	}
}

// TestConcurrentWorkload runs many poll workflows at once through one
// opened document (make test-race runs it under the race detector) and
// checks every run and every server call.
func TestConcurrentWorkload(t *testing.T) {
	const n = 100
	svc := &benchsvc.Server{Polls: 3, Token: benchToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	doc := benchDoc(t, benchsvc.PollFile, srv.URL+"/v1")
	concurrentRuns(t, doc, n)
	if c := svc.Counts(); c != (benchsvc.Counts{Creates: n, Lists: 4 * n, Restores: n}) {
		t.Errorf("server counts %+v, want %d creates, %d lists, %d restores", c, n, 4*n, n)
	}
}
