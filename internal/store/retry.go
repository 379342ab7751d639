package store

import (
	"context"
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// transient tells etcd failures after which the same request may succeed:
// a member lost, a leader election under way, a request that timed out.
func transient(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, rpctypes.ErrTimeout), errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail),
		errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost), errors.Is(err, rpctypes.ErrNoLeader),
		errors.Is(err, rpctypes.ErrLeaderChanged), errors.Is(err, rpctypes.ErrGRPCTimeout),
		errors.Is(err, rpctypes.ErrGRPCNoLeader):
		return true
	}
	code := status.Code(err)
	return code == codes.Unavailable || code == codes.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded)
}

// retry runs a request again while etcd fails it transiently, until ctx
// ends. attempt tells the request whether an earlier try may have committed.
func retry[T any](ctx context.Context, request func(attempt int) (T, error)) (T, error) {
	b := newBackoff()
	for attempt := 0; ; attempt++ {
		v, err := request(attempt)
		if !transient(err) || ctx.Err() != nil {
			return v, err
		}
		b.wait(ctx)
	}
}
