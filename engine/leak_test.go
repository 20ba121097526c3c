package engine_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/runner"
)

// TestMain fails the package's tests when any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNoGoroutineLeftAfterClose runs many workflows over keep-alive
// connections to a server that stays up, and to an address that refuses,
// then closes the Document: no goroutine of the engine's transport may
// remain, although the server never closed a connection.
func TestNoGoroutineLeftAfterClose(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"state":"done"}`)
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	// The server's own goroutines are not the engine's.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	path := writeExample(t.TempDir())
	for _, base := range []string{srv.URL, refused} {
		doc, err := engine.Open(ctx, path, engine.WithServer("jobs", base), engine.WithTransportRetries(1))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := doc.Run(ctx, "waitForJob", map[string]any{"id": fmt.Sprint(i)})
				if base == srv.URL && (res == nil || res.Status != runner.StatusSucceeded) {
					t.Errorf("run %d: %+v", i, res)
				}
			}()
		}
		wg.Wait()
		if err := doc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("runs hung")
	}
}
