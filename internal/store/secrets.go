package store

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Registry credentials sent with a create (X-Registry-Auth) must reach the
// leader that pulls the image, but must not stay in etcd: they are kept under
// a lease of their own, short, and deleted as soon as the create is done.

func (s *Store) secretKey(id string) string { return s.key("secrets", id) }

// PutRegistryAuth keeps a create's registry credentials for at most ttl.
func (s *Store) PutRegistryAuth(ctx context.Context, id, auth string, ttl time.Duration) error {
	lease, err := s.cli.Grant(ctx, max(int64(ttl/time.Second), 5))
	if err != nil {
		return fmt.Errorf("grant lease for registry auth: %w", err)
	}
	if _, err := s.cli.Put(ctx, s.secretKey(id), auth, clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("put registry auth of %s: %w", id, err)
	}
	return nil
}

// RegistryAuth returns a create's registry credentials, "" when there are none.
func (s *Store) RegistryAuth(ctx context.Context, id string) (string, error) {
	resp, err := s.cli.Get(ctx, s.secretKey(id))
	if err != nil {
		return "", fmt.Errorf("get registry auth of %s: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

// DeleteRegistryAuth forgets a create's registry credentials, and their lease.
func (s *Store) DeleteRegistryAuth(ctx context.Context, id string) error {
	resp, err := s.cli.Get(ctx, s.secretKey(id))
	if err != nil {
		return fmt.Errorf("get registry auth of %s: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	if _, err := s.cli.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		return fmt.Errorf("revoke registry auth of %s: %w", id, err)
	}
	return nil
}
