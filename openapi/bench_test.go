package openapi

import (
	"context"
	"os"
	"testing"

	"github.com/go-arazzo/arazzo/internal/fetch"
)

func BenchmarkLoadLargest(b *testing.B) {
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
	f := fetch.New(fetch.Options{})
	b.Logf("%s (%d bytes)", largest, size)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), data, largest, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewRequest(b *testing.B) {
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
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRequest(ctx, op, "https://api.example.com/v1", params, body); err != nil {
			b.Fatal(err)
		}
	}
}
