package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Labels on every container Drover creates: its swarm id, which ties it to
// its desired record; the cluster that made it, since several clusters may
// share engines; and the leadership term that made it.
const (
	SwarmIDLabel = "com.docker.swarm.id"
	ClusterLabel = "com.docker.swarm.drover.cluster"
	EpochLabel   = "com.docker.swarm.drover.epoch"
)

// Container is a desired container, as the API received it.
type Container struct {
	ID               string                    `json:"id"` // the swarm id, also the engine label com.docker.swarm.id
	Name             string                    `json:"name,omitempty"`
	Config           *container.Config         `json:"config"`
	HostConfig       *container.HostConfig     `json:"hostConfig"`
	NetworkingConfig *network.NetworkingConfig `json:"networkingConfig,omitempty"`
	CreatedAt        time.Time                 `json:"createdAt"`

	// Generation counts the lifecycle operations asked for; the reconciler
	// carries out Op once and reports it as Status.ObservedGeneration.
	Generation int64      `json:"generation"`
	Op         *Operation `json:"op,omitempty"`
}

// OpKind names a lifecycle operation on a created container.
type OpKind string

const (
	OpStart   OpKind = "start"
	OpStop    OpKind = "stop"
	OpKill    OpKind = "kill"
	OpRestart OpKind = "restart"
	OpPause   OpKind = "pause"
	OpUnpause OpKind = "unpause"
	OpRename  OpKind = "rename"
	OpUpdate  OpKind = "update"
	OpRemove  OpKind = "remove"
)

// Operation is a lifecycle operation with the parameters its engine call takes.
type Operation struct {
	ID            string                  `json:"id"` // tells a retried request from a new one
	Kind          OpKind                  `json:"kind"`
	Signal        string                  `json:"signal,omitempty"`
	Timeout       *int                    `json:"timeout,omitempty"` // seconds, for stop and restart
	Name          string                  `json:"name,omitempty"`    // the new name, for rename
	Update        *container.UpdateConfig `json:"update,omitempty"`
	Force         bool                    `json:"force,omitempty"`
	RemoveVolumes bool                    `json:"removeVolumes,omitempty"`
	RemoveLinks   bool                    `json:"removeLinks,omitempty"`
}

// Phase is where a desired container stands.
type Phase string

const (
	PhasePending   Phase = "pending"   // written by the API, no node chosen yet
	PhaseScheduled Phase = "scheduled" // node chosen, engine create under way
	PhaseCreated   Phase = "created"   // the engine holds it
	PhaseFailed    Phase = "failed"    // creating it cannot succeed; Failure says why
)

// Status is what the reconciler observed of a desired container.
type Status struct {
	Phase     Phase     `json:"phase"`
	Node      string    `json:"node,omitempty"` // engine address
	EngineID  string    `json:"engineId,omitempty"`
	Failure   *Failure  `json:"failure,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`

	// ObservedGeneration is the last operation carried out; OpFailure says
	// why it failed, OpNotModified that there was nothing to do (the engine's
	// 304), OpWarnings what the engine warned of.
	ObservedGeneration int64    `json:"observedGeneration,omitempty"`
	OpFailure          *Failure `json:"opFailure,omitempty"`
	OpNotModified      bool     `json:"opNotModified,omitempty"`
	OpWarnings         []string `json:"opWarnings,omitempty"`
	// Epoch is the leadership term that wrote the status.
	Epoch int64 `json:"epoch,omitempty"`
}

// Done reports whether the status is final for a waiting create.
func (s Status) Done() bool { return s.Phase == PhaseCreated || s.Phase == PhaseFailed }

// Failure is an error that crossed etcd: its kind survives, so the API can
// answer with the status code the engine would have used.
type Failure struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// messageKind is an errdefs kind that can carry a message of its own.
type messageKind interface {
	error
	WithMessage(string) error
}

var failureKinds = []struct {
	name string
	kind messageKind
}{
	{"invalid", cerrdefs.ErrInvalidArgument},
	{"notfound", cerrdefs.ErrNotFound},
	{"conflict", cerrdefs.ErrConflict},
	{"unavailable", cerrdefs.ErrUnavailable},
	{"forbidden", cerrdefs.ErrPermissionDenied},
	{"unauthorized", cerrdefs.ErrUnauthenticated},
}

// FailureOf records err with its kind.
func FailureOf(err error) *Failure {
	for _, k := range failureKinds {
		if errors.Is(err, k.kind) {
			return &Failure{Kind: k.name, Message: err.Error()}
		}
	}
	return &Failure{Kind: "internal", Message: err.Error()}
}

// Err turns the failure back into an error of its kind.
func (f *Failure) Err() error {
	for _, k := range failureKinds {
		if f.Kind == k.name {
			return k.kind.WithMessage(f.Message)
		}
	}
	return errors.New(f.Message)
}

func (s *Store) containersPrefix() string   { return s.key("containers") + "/" }
func (s *Store) specKey(id string) string   { return s.containersPrefix() + id + "/spec" }
func (s *Store) statusKey(id string) string { return s.containersPrefix() + id + "/status" }
func (s *Store) nameKey(name string) string { return s.key("names", name) }
func (s *Store) idFromKey(key string) (id, kind string) {
	rest := strings.TrimPrefix(key, s.containersPrefix())
	id, kind, _ = strings.Cut(rest, "/")
	return id, kind
}

// CreateContainer writes a desired container and reserves its name in one
// transaction. A name already held fails with ErrConflict naming the holder.
// It returns the revision of the write, to watch the status from.
func (s *Store) CreateContainer(ctx context.Context, c *Container) (int64, error) {
	spec, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("encode container %s: %w", c.ID, err)
	}
	conds := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(s.specKey(c.ID)), "=", 0)}
	ops := []clientv3.Op{clientv3.OpPut(s.specKey(c.ID), string(spec))}
	if c.Name != "" {
		conds = append(conds, clientv3.Compare(clientv3.CreateRevision(s.nameKey(c.Name)), "=", 0))
		ops = append(ops, clientv3.OpPut(s.nameKey(c.Name), c.ID))
	}
	return retry(ctx, func(attempt int) (int64, error) {
		resp, err := s.cli.Txn(ctx).If(conds...).Then(ops...).Commit()
		if err != nil {
			return 0, fmt.Errorf("create container %s: %w", c.ID, err)
		}
		if resp.Succeeded {
			return resp.Header.Revision, nil
		}
		if attempt > 0 {
			// An earlier try that failed in transit may have committed: the
			// swarm id is this create's own.
			if got, err := s.cli.Get(ctx, s.specKey(c.ID)); err == nil && len(got.Kvs) > 0 {
				return got.Kvs[0].ModRevision, nil
			}
		}
		return 0, fmt.Errorf("container name %q: %w", c.Name, ErrConflict)
	})
}

// NameHolder returns the swarm id holding a container name.
func (s *Store) NameHolder(ctx context.Context, name string) (string, error) {
	resp, err := s.cli.Get(ctx, s.nameKey(name))
	if err != nil {
		return "", fmt.Errorf("get name %q: %w", name, err)
	}
	if len(resp.Kvs) == 0 {
		return "", fmt.Errorf("name %q: %w", name, ErrNotFound)
	}
	return string(resp.Kvs[0].Value), nil
}

// Container reads a desired container and its status (nil before the first).
func (s *Store) Container(ctx context.Context, id string) (*Container, *Status, error) {
	resp, err := s.cli.Get(ctx, s.containersPrefix()+id+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, nil, fmt.Errorf("get container %s: %w", id, err)
	}
	var c *Container
	var st *Status
	for _, kv := range resp.Kvs {
		switch _, kind := s.idFromKey(string(kv.Key)); kind {
		case "spec":
			c = new(Container)
			err = json.Unmarshal(kv.Value, c)
		case "status":
			st = new(Status)
			err = json.Unmarshal(kv.Value, st)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
	}
	if c == nil {
		return nil, nil, fmt.Errorf("container %s: %w", id, ErrNotFound)
	}
	return c, st, nil
}

// DeleteContainer removes a desired container, its status and its name.
// Deleting one that is gone is not an error.
func (s *Store) DeleteContainer(ctx context.Context, id string) error {
	c, _, err := s.Container(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ops := s.recordDeletes(id)
	if c.Name != "" {
		ops = append(ops, s.releaseName(c.Name, id))
	}
	if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return fmt.Errorf("delete container %s: %w", id, err)
	}
	return nil
}

// recordDeletes deletes everything kept of a container but its name.
func (s *Store) recordDeletes(id string) []clientv3.Op {
	return []clientv3.Op{
		clientv3.OpDelete(s.containersPrefix()+id+"/", clientv3.WithPrefix()),
		clientv3.OpDelete(s.secretKey(id)),
	}
}

// ReleaseName deletes a name reservation if id still holds it.
func (s *Store) ReleaseName(ctx context.Context, name, id string) error {
	if _, err := s.cli.Txn(ctx).Then(s.releaseName(name, id)).Commit(); err != nil {
		return fmt.Errorf("release name %q: %w", name, err)
	}
	return nil
}

// WaitStatus blocks until the container's status is final (created or
// failed), watching from revision fromRev on. The container vanishing while
// waited for is ErrNotFound.
func (s *Store) WaitStatus(ctx context.Context, id string, fromRev int64) (Status, error) {
	return s.waitFor(ctx, id, fromRev, Status.Done)
}
