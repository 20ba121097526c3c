package backupd

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func postWithKey(t *testing.T, url, key, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v map[string]any
	json.Unmarshal(data, &v)
	return resp.StatusCode, resp.Header, v
}

func TestIdempotencyKeyCreatesOneBackup(t *testing.T) {
	ts := start(t, Config{})
	var wg sync.WaitGroup
	ids := make([]any, 5)
	replayed := make([]string, 5)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, h, v := postWithKey(t, ts.base+"/backups", "run-1", `{"label":"x"}`)
			if code != http.StatusAccepted {
				t.Errorf("status %d", code)
			}
			ids[i], replayed[i] = v["id"], h.Get("Idempotent-Replayed")
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("request %d created backup %v, request 0 %v", i, ids[i], ids[0])
		}
		if replayed[i] == "" {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d responses were fresh, want exactly 1 (the others replayed)", fresh)
	}
	// Another key, or no key, is another backup.
	_, _, other := postWithKey(t, ts.base+"/backups", "run-2", `{"label":"y"}`)
	_, _, none := postWithKey(t, ts.base+"/backups", "", `{"label":"z"}`)
	if other["id"] == ids[0] || none["id"] == ids[0] || other["id"] == none["id"] {
		t.Errorf("distinct requests shared a backup: %v %v %v", ids[0], other["id"], none["id"])
	}
}
