package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// readHeaderTimeout bounds how long a client may take to send its headers.
const readHeaderTimeout = 10 * time.Second

// Start serves h on addr ("127.0.0.1:0" picks a free port) and returns the
// base URL "http://HOST:PORT/v1" (an unspecified listen host such as ":8000"
// is reported as 127.0.0.1). The server runs until shutdown is called.
// shutdown stops accepting, waits for in-flight requests until its ctx is
// done, then cancels every request's context (ending stalls) and closes all
// connections; it returns ctx's error in that case. Listen errors are
// returned wrapped.
func Start(addr string, h http.Handler) (baseURL string, shutdown func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tcp := ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	baseURL = "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port)) + "/v1"
	shutdown = func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if err != nil {
			cancel()
			_ = srv.Close()
		}
		cancel()
		<-done
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return err
	}
	return baseURL, shutdown, nil
}
