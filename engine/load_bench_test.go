package engine_test

// Benchmark 5 of docs/performance.md, engine part: engine.Open (load the
// Arazzo document and its OpenAPI source, validate) against a large real
// description and a 10,000-operation synthetic one; and the proof that a
// document opened once pays parsing once however many runs follow.

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/benchsvc"
	"github.com/go-arazzo/arazzo/internal/testutil"
	"github.com/go-arazzo/arazzo/openapi"
	"github.com/go-arazzo/arazzo/runner"
)

// largestPublicAPI returns the largest OpenAPI file of the jentic-public
// corpus, skipping loudly when the corpus is missing.
func largestPublicAPI(tb testing.TB) string {
	tb.Helper()
	dir := testutil.ConformanceDir(tb, "jentic-public", "apis")
	var largest string
	var size int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(p); ext != ".json" && ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if st, err := d.Info(); err == nil && st.Size() > size {
			largest, size = p, st.Size()
		}
		return nil
	})
	if largest == "" {
		testutil.SkipLoudly(tb, "no OpenAPI file in %s", dir)
	}
	return largest
}

// largeDoc writes an Arazzo document that calls operationID of the OpenAPI
// description api (copied next to it) and returns its path.
func largeDoc(tb testing.TB, api []byte, apiName, operationID string, pathParams ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, apiName), api, 0o644); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "large.arazzo.yaml")
	if err := os.WriteFile(path, benchsvc.SyntheticArazzo("./"+apiName, operationID, pathParams...), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// firstOperation returns the first operation with an operationId of the
// description data and its path parameters.
func firstOperation(tb testing.TB, loc string, data []byte) (string, []string) {
	tb.Helper()
	doc, err := openapi.Load(context.Background(), data, loc, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, op := range doc.Operations {
		if op.ID == "" {
			continue
		}
		var params []string
		for _, p := range op.Parameters {
			if p.In == "path" {
				params = append(params, p.Name)
			}
		}
		return op.ID, params
	}
	tb.Fatalf("%s has no operation with an operationId", loc)
	return "", nil
}

// largeDocs are the two large-description workloads.
func largeDocs(tb testing.TB) map[string]string {
	docs := map[string]string{
		"synthetic10k": largeDoc(tb, benchsvc.SyntheticOpenAPI(10000), "synthetic.json", "op5001"),
	}
	if p := largestPublicAPI(tb); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		// Any operation will do for Open: take the first one.
		op, params := firstOperation(tb, p, data)
		docs["largest-public"] = largeDoc(tb, data, "api"+filepath.Ext(p), op, params...)
	}
	return docs
}

// BenchmarkOpenLarge opens and validates an Arazzo document whose source
// is a large OpenAPI description; retained-MiB is the live heap one
// opened document keeps.
func BenchmarkOpenLarge(b *testing.B) {
	docs := largeDocs(b)
	for _, name := range []string{"largest-public", "synthetic10k"} {
		path, ok := docs[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				doc, err := engine.Open(context.Background(), path)
				if err != nil || !doc.Valid() {
					b.Fatalf("open: %v %v", err, doc.Diagnostics().Errors())
				}
			}
			before := heapAfterGC()
			doc, _ := engine.Open(context.Background(), path)
			b.ReportMetric(float64(heapAfterGC()-before)/(1<<20), "retained-MiB")
			runtime.KeepAlive(doc)
		})
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// cannedResource answers every request with a "ready" resource.
func cannedResource() runner.Sender {
	hdr := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"id":"r1","status":"ready","size":42}`)
	return runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		return &runner.Response{StatusCode: http.StatusOK, Header: hdr, Body: body}, nil
	})
}

// BenchmarkOpenOnceRunMany contrasts opening the 10k-operation document
// for every run with opening it once and running many times: the run
// itself costs microseconds, the parsing is paid once.
func BenchmarkOpenOnceRunMany(b *testing.B) {
	path := largeDocs(b)["synthetic10k"]
	ctx := context.Background()
	in := map[string]any{"id": "r1"}
	b.Run("open-each-run", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			doc, err := engine.Open(ctx, path, engine.WithSender(cannedResource()))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := doc.Run(ctx, "readOne", in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-once", func(b *testing.B) {
		doc, err := engine.Open(ctx, path, engine.WithSender(cannedResource()))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := doc.Run(ctx, "readOne", in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOpenOnceParsesOnce checks the structural claim behind
// BenchmarkOpenOnceRunMany: after Open, runs never read the files again
// (they still succeed when the files are gone), and the first run does not
// re-parse the description (it takes a small fraction of Open's work,
// counted in allocations, not time).
func TestOpenOnceParsesOnce(t *testing.T) {
	dir := t.TempDir()
	api := benchsvc.SyntheticOpenAPI(2000)
	if err := os.WriteFile(filepath.Join(dir, "synthetic.json"), api, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "large.arazzo.yaml")
	if err := os.WriteFile(path, benchsvc.SyntheticArazzo("./synthetic.json", "op1001"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var sent []string
	sender := runner.SenderFunc(func(ctx context.Context, req *runner.Request) (*runner.Response, error) {
		sent = append(sent, req.Method+" "+req.URL)
		return cannedResource().Send(ctx, req)
	})
	openAllocs := testing.AllocsPerRun(1, func() {
		if _, err := engine.Open(ctx, path, engine.WithSender(sender)); err != nil {
			t.Fatal(err)
		}
	})
	doc, err := engine.Open(ctx, path, engine.WithSender(sender))
	if err != nil || !doc.Valid() {
		t.Fatalf("open: %v %v", err, doc.Diagnostics().Errors())
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	runAllocs := testing.AllocsPerRun(3, func() {
		res, err := doc.Run(ctx, "readOne", map[string]any{"id": "r9"})
		if err != nil || res.Outputs["size"] != int64(42) {
			t.Fatalf("run after the files were removed: %v, outputs %v", err, res.Outputs)
		}
	})
	if len(sent) != 4 || !strings.HasSuffix(sent[0], "/group0/resources500/r9") || !strings.HasPrefix(sent[0], "PUT ") {
		t.Errorf("requests sent: %v", sent)
	}
	if runAllocs*20 > openAllocs {
		t.Errorf("a run allocates %.0f times, Open %.0f: runs seem to redo loading work", runAllocs, openAllocs)
	}
}
