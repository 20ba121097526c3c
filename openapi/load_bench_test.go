package openapi

// Benchmark 5 of docs/performance.md, OpenAPI part: loading (parse, index,
// kin-openapi model) of the largest jentic-public description is
// BenchmarkLoadLargest in bench_test.go; this file adds a 10,000-operation
// synthetic description and reports the heap a loaded document keeps.

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/go-arazzo/arazzo/internal/benchsvc"
)

const syntheticOps = 10000

// retainedHeap returns the live heap after a collection.
func retainedHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func benchmarkLoad(b *testing.B, data []byte, location string) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), data, location, nil); err != nil {
			b.Fatal(err)
		}
	}
	// What one loaded document keeps alive: load one more and compare.
	before := retainedHeap()
	d, err := Load(context.Background(), data, location, nil)
	if err != nil {
		b.Fatal(err)
	}
	after := retainedHeap()
	b.ReportMetric(float64(after-before)/(1<<20), "retained-MiB")
	b.ReportMetric(float64(len(d.Operations)), "operations")
	runtime.KeepAlive(d)
}

// BenchmarkLoadSynthetic10k loads a description with 10,000 operations.
func BenchmarkLoadSynthetic10k(b *testing.B) {
	benchmarkLoad(b, benchsvc.SyntheticOpenAPI(syntheticOps), "synthetic.json")
}

// BenchmarkLoadLargestRetained is BenchmarkLoadLargest with the retained
// heap reported.
func BenchmarkLoadLargestRetained(b *testing.B) {
	var largest string
	var size int64
	for _, p := range publicAPIs(b) {
		if st, err := os.Stat(p); err == nil && st.Size() > size {
			largest, size = p, st.Size()
		}
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s (%d bytes)", largest, size)
	benchmarkLoad(b, data, largest)
}

// TestSyntheticDescriptionIndexes checks the synthetic load workload: every
// operation is indexed with its path, parameters and body, and the
// kin-openapi model loads too.
func TestSyntheticDescriptionIndexes(t *testing.T) {
	const n = 1001 // odd: the last path has only a GET
	doc, err := Load(context.Background(), benchsvc.SyntheticOpenAPI(n), "synthetic.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if docModelErr(doc) != nil || docModel(doc) == nil {
		t.Fatalf("kin-openapi model: %v", docModelErr(doc))
	}
	if len(doc.Operations) != n {
		t.Fatalf("%d operations indexed, want %d", len(doc.Operations), n)
	}
	put := doc.OperationByID("op777")
	if put == nil || put.Method != "PUT" || put.Path != "/group38/resources388/{id}" || put.RequestBody == nil {
		t.Fatalf("op777 = %+v, want PUT /group38/resources388/{id} with a body", put)
	}
	get := doc.OperationByID("op1000")
	if get == nil || get.Method != "GET" || len(get.Parameters) != 3 {
		t.Fatalf("op1000 = %+v, want a GET with 3 parameters", get)
	}
	if doc.OperationByMethodPath("GET", "/group38/resources388/x") != doc.OperationByID("op776") {
		t.Error("method+path lookup does not find op776")
	}
}

// TestModelBuiltOnceOnDemand: the kin-openapi model is built on the first
// Model call, once, whoever asks; a hand-built Document has none.
func TestModelBuiltOnceOnDemand(t *testing.T) {
	doc, err := Load(context.Background(), benchsvc.SyntheticOpenAPI(11), "synthetic.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	models := make(chan any, 8)
	for range 8 {
		go func() {
			m, err := doc.Model()
			if err != nil {
				t.Error(err)
			}
			models <- m
		}()
	}
	first := <-models
	for range 7 {
		if m := <-models; m != first || m == nil {
			t.Fatalf("Model returned %p and %p", first, m)
		}
	}
	if m, err := (&Document{}).Model(); m != nil || err == nil {
		t.Errorf("hand-built document: model %v, err %v; want an error", m, err)
	}
}
