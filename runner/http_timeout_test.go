package runner_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/runner"
)

// stallServer never answers until the client gives up.
func stallServer(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv.URL
}

// The request timeout holds whatever the caller's context, and a caller's
// own deadline or cancellation ends a request as soon as it comes.
func TestSendTimeoutAndCallerDeadline(t *testing.T) {
	url := stallServer(t)
	get := &runner.Request{Method: http.MethodGet, URL: url}
	t.Run("request timeout under a later caller deadline", func(t *testing.T) {
		s := runner.NewHTTPSender(runner.HTTPOptions{Timeout: 100 * time.Millisecond, Retries: -1})
		defer s.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		_, err := s.Send(ctx, get)
		if !errors.Is(err, runner.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want the request timeout", err)
		}
	})
	t.Run("request timeout without a caller deadline", func(t *testing.T) {
		s := runner.NewHTTPSender(runner.HTTPOptions{Timeout: 100 * time.Millisecond, Retries: -1})
		defer s.CloseIdleConnections()
		_, err := s.Send(context.Background(), get)
		if !errors.Is(err, runner.ErrRequestTimeout) {
			t.Errorf("error %v, want the request timeout", err)
		}
	})
	t.Run("an earlier caller deadline is the caller's", func(t *testing.T) {
		s := runner.NewHTTPSender(runner.HTTPOptions{Timeout: time.Hour, Retries: -1})
		defer s.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := s.Send(ctx, get)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, runner.ErrRequestTimeout) {
			t.Errorf("error %v, want the caller's deadline, not the request timeout", err)
		}
	})
	for _, deadline := range []time.Duration{0, time.Hour} {
		t.Run("cancellation with caller deadline "+deadline.String(), func(t *testing.T) {
			s := runner.NewHTTPSender(runner.HTTPOptions{Timeout: time.Hour, Retries: -1})
			defer s.CloseIdleConnections()
			ctx, cancel := context.WithCancel(context.Background())
			if deadline > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), deadline)
			}
			go func() {
				time.Sleep(50 * time.Millisecond)
				cancel()
			}()
			_, err := s.Send(ctx, get)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		})
	}
}
