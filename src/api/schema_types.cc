// The API types mlkube serves, in the schema DSL that schema.cc parses (its grammar is described
// there). Field names, JSON types and patch metadata follow Kubernetes 1.32's Go types and struct
// tags: strict decoding rejects any field missing here, and strategic merge patch, server-side
// apply and kubectl (through /openapi/v3) merge lists by the keys given here, so both must match
// Kubernetes exactly. Rarely used cloud volume sources are `any`: accepted, not checked.

#include <string_view>

namespace mlkube::api::internal {

std::string_view SchemaSource() {
  static constexpr std::string_view kSource = R"schema(
// ============================================================================================
package meta io.k8s.apimachinery.pkg.apis.meta.v1
// ============================================================================================

type TypeMeta {
  apiVersion string
  kind string
}

type ObjectMeta {
  name string
  generateName string
  namespace string
  selfLink string
  uid string
  resourceVersion string
  generation int64
  creationTimestamp Time
  deletionTimestamp Time
  deletionGracePeriodSeconds int64
  labels map[string]string
  annotations map[string]string
  ownerReferences []OwnerReference patchStrategy=merge patchMergeKey=uid listType=map listMapKeys=uid
  finalizers []string patchStrategy=merge listType=set
  managedFields []ManagedFieldsEntry listType=atomic
}

type OwnerReference {
  apiVersion string required
  kind string required
  name string required
  uid string required
  controller bool
  blockOwnerDeletion bool
}

type ManagedFieldsEntry {
  manager string
  operation string
  apiVersion string
  time Time
  fieldsType string
  fieldsV1 any
  subresource string
}

type ListMeta {
  selfLink string
  resourceVersion string
  continue string
  remainingItemCount int64
}

type LabelSelector {
  matchLabels map[string]string
  matchExpressions []LabelSelectorRequirement listType=atomic
}

type LabelSelectorRequirement {
  key string required
  operator string required
  values []string listType=atomic
}

type Condition {
  type string required
  status string required
  observedGeneration int64
  lastTransitionTime Time required
  reason string required
  message string required
}

type Status {
  TypeMeta
  metadata ListMeta
  status string
  message string
  reason string
  details StatusDetails
  code int32
}

type StatusDetails {
  name string
  group string
  kind string
  uid string
  causes []StatusCause listType=atomic
  retryAfterSeconds int32
}

type StatusCause {
  reason string
  message string
  field string
}

type DeleteOptions {
  TypeMeta
  gracePeriodSeconds int64
  preconditions Preconditions
  orphanDependents bool
  propagationPolicy string
  dryRun []string listType=atomic
  ignoreStoreReadErrorWithClusterBreakingPotential bool
}

type Preconditions {
  uid string
  resourceVersion string
}

kind "" v1 Status Status
kind "" v1 DeleteOptions DeleteOptions
kind meta.k8s.io v1 DeleteOptions DeleteOptions

// ============================================================================================
package core io.k8s.api.core.v1
// ============================================================================================

type ResourceList map[string]Quantity
type RestartPolicy string
type PullPolicy string
type Protocol string
type DNSPolicy string

type Namespace {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec NamespaceSpec
  status NamespaceStatus
}

type NamespaceSpec {
  finalizers []string listType=atomic
}

type NamespaceStatus {
  phase string
  conditions []NamespaceCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type NamespaceCondition {
  type string required
  status string required
  lastTransitionTime Time
  reason string
  message string
}

// ---- Pod -----------------------------------------------------------------------------------

type Pod {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec PodSpec
  status PodStatus
}

type PodTemplateSpec {
  metadata meta.ObjectMeta
  spec PodSpec
}

type PodSpec {
  volumes []Volume patchStrategy=merge,retainKeys patchMergeKey=name listType=map listMapKeys=name
  initContainers []Container patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  containers []Container required patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  ephemeralContainers []EphemeralContainer patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  restartPolicy RestartPolicy
  terminationGracePeriodSeconds int64
  activeDeadlineSeconds int64
  dnsPolicy DNSPolicy
  nodeSelector map[string]string
  serviceAccountName string
  serviceAccount string
  automountServiceAccountToken bool
  nodeName string
  hostNetwork bool
  hostPID bool
  hostIPC bool
  shareProcessNamespace bool
  securityContext PodSecurityContext
  imagePullSecrets []LocalObjectReference patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  hostname string
  subdomain string
  affinity Affinity
  schedulerName string
  tolerations []Toleration listType=atomic
  hostAliases []HostAlias patchStrategy=merge patchMergeKey=ip listType=map listMapKeys=ip
  priorityClassName string
  priority int32
  dnsConfig PodDNSConfig
  readinessGates []PodReadinessGate listType=atomic
  runtimeClassName string
  enableServiceLinks bool
  preemptionPolicy string
  overhead ResourceList
  topologySpreadConstraints []TopologySpreadConstraint patchStrategy=merge patchMergeKey=topologyKey listType=map listMapKeys=topologyKey,whenUnsatisfiable
  setHostnameAsFQDN bool
  os PodOS
  hostUsers bool
  schedulingGates []PodSchedulingGate patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  resourceClaims []PodResourceClaim patchStrategy=merge,retainKeys patchMergeKey=name listType=map listMapKeys=name
  resources ResourceRequirements
}

type LocalObjectReference {
  name string
}

type ObjectReference {
  kind string
  namespace string
  name string
  uid string
  apiVersion string
  resourceVersion string
  fieldPath string
}

type TypedLocalObjectReference {
  apiGroup string
  kind string required
  name string required
}

type TypedObjectReference {
  apiGroup string
  kind string required
  name string required
  namespace string
}

type SecretReference {
  name string
  namespace string
}

type PodOS {
  name string required
}

type PodSchedulingGate {
  name string required
}

type PodResourceClaim {
  name string required
  resourceClaimName string
  resourceClaimTemplateName string
}

type HostAlias {
  ip string required
  hostnames []string listType=atomic
}

type PodDNSConfig {
  nameservers []string listType=atomic
  searches []string listType=atomic
  options []PodDNSConfigOption listType=atomic
}

type PodDNSConfigOption {
  name string
  value string
}

type PodReadinessGate {
  conditionType string required
}

type Toleration {
  key string
  operator string
  value string
  effect string
  tolerationSeconds int64
}

type TopologySpreadConstraint {
  maxSkew int32 required
  topologyKey string required
  whenUnsatisfiable string required
  labelSelector meta.LabelSelector
  minDomains int32
  nodeAffinityPolicy string
  nodeTaintsPolicy string
  matchLabelKeys []string listType=atomic
}

// ---- security --------------------------------------------------------------------------------

type PodSecurityContext {
  seLinuxOptions SELinuxOptions
  windowsOptions WindowsSecurityContextOptions
  runAsUser int64
  runAsGroup int64
  runAsNonRoot bool
  supplementalGroups []int64 listType=atomic
  supplementalGroupsPolicy string
  fsGroup int64
  sysctls []Sysctl listType=atomic
  fsGroupChangePolicy string
  seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile
  seLinuxChangePolicy string
}

type SecurityContext {
  capabilities Capabilities
  privileged bool
  seLinuxOptions SELinuxOptions
  windowsOptions WindowsSecurityContextOptions
  runAsUser int64
  runAsGroup int64
  runAsNonRoot bool
  readOnlyRootFilesystem bool
  allowPrivilegeEscalation bool
  procMount string
  seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile
}

type Capabilities {
  add []string listType=atomic
  drop []string listType=atomic
}

type SELinuxOptions {
  user string
  role string
  type string
  level string
}

type WindowsSecurityContextOptions {
  gmsaCredentialSpecName string
  gmsaCredentialSpec string
  runAsUserName string
  hostProcess bool
}

type Sysctl {
  name string required
  value string required
}

type SeccompProfile {
  type string required
  localhostProfile string
}

type AppArmorProfile {
  type string required
  localhostProfile string
}

// ---- affinity ------------------------------------------------------------------------------

type Affinity {
  nodeAffinity NodeAffinity
  podAffinity PodAffinity
  podAntiAffinity PodAntiAffinity
}

type NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution NodeSelector
  preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm listType=atomic
}

type NodeSelector {
  nodeSelectorTerms []NodeSelectorTerm required listType=atomic
}

type NodeSelectorTerm {
  matchExpressions []NodeSelectorRequirement listType=atomic
  matchFields []NodeSelectorRequirement listType=atomic
}

type NodeSelectorRequirement {
  key string required
  operator string required
  values []string listType=atomic
}

type PreferredSchedulingTerm {
  weight int32 required
  preference NodeSelectorTerm required
}

type PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm listType=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm listType=atomic
}

type PodAntiAffinity {
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm listType=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm listType=atomic
}

type PodAffinityTerm {
  labelSelector meta.LabelSelector
  namespaces []string listType=atomic
  topologyKey string required
  namespaceSelector meta.LabelSelector
  matchLabelKeys []string listType=atomic
  mismatchLabelKeys []string listType=atomic
}

type WeightedPodAffinityTerm {
  weight int32 required
  podAffinityTerm PodAffinityTerm required
}

// ---- containers ----------------------------------------------------------------------------

type Container {
  name string required
  image string
  command []string listType=atomic
  args []string listType=atomic
  workingDir string
  ports []ContainerPort patchStrategy=merge patchMergeKey=containerPort listType=map listMapKeys=containerPort,protocol
  envFrom []EnvFromSource listType=atomic
  env []EnvVar patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  resources ResourceRequirements
  resizePolicy []ContainerResizePolicy listType=atomic
  restartPolicy string
  volumeMounts []VolumeMount patchStrategy=merge patchMergeKey=mountPath listType=map listMapKeys=mountPath
  volumeDevices []VolumeDevice patchStrategy=merge patchMergeKey=devicePath listType=map listMapKeys=devicePath
  livenessProbe Probe
  readinessProbe Probe
  startupProbe Probe
  lifecycle Lifecycle
  terminationMessagePath string
  terminationMessagePolicy string
  imagePullPolicy PullPolicy
  securityContext SecurityContext
  stdin bool
  stdinOnce bool
  tty bool
}

// EphemeralContainerCommon has the fields of Container (the probes and ports are rejected by
// validation, not by decoding).
type EphemeralContainer {
  Container
  targetContainerName string
}

type ContainerPort {
  name string
  hostPort int32
  containerPort int32 required
  protocol Protocol
  hostIP string
}

type EnvVar {
  name string required
  value string
  valueFrom EnvVarSource
}

type EnvVarSource {
  fieldRef ObjectFieldSelector
  resourceFieldRef ResourceFieldSelector
  configMapKeyRef ConfigMapKeySelector
  secretKeyRef SecretKeySelector
}

type ObjectFieldSelector {
  apiVersion string
  fieldPath string required
}

type ResourceFieldSelector {
  containerName string
  resource string required
  divisor Quantity
}

type ConfigMapKeySelector {
  LocalObjectReference
  key string required
  optional bool
}

type SecretKeySelector {
  LocalObjectReference
  key string required
  optional bool
}

type EnvFromSource {
  prefix string
  configMapRef ConfigMapEnvSource
  secretRef SecretEnvSource
}

type ConfigMapEnvSource {
  LocalObjectReference
  optional bool
}

type SecretEnvSource {
  LocalObjectReference
  optional bool
}

type ResourceRequirements {
  limits ResourceList
  requests ResourceList
  claims []ResourceClaim listType=map listMapKeys=name
}

type ResourceClaim {
  name string required
  request string
}

type ContainerResizePolicy {
  resourceName string required
  restartPolicy string required
}

type VolumeMount {
  name string required
  readOnly bool
  recursiveReadOnly string
  mountPath string required
  subPath string
  mountPropagation string
  subPathExpr string
}

type VolumeDevice {
  name string required
  devicePath string required
}

type Probe {
  ProbeHandler
  initialDelaySeconds int32
  timeoutSeconds int32
  periodSeconds int32
  successThreshold int32
  failureThreshold int32
  terminationGracePeriodSeconds int64
}

type ProbeHandler {
  exec ExecAction
  httpGet HTTPGetAction
  tcpSocket TCPSocketAction
  grpc GRPCAction
}

type ExecAction {
  command []string listType=atomic
}

type HTTPGetAction {
  path string
  port IntOrString required
  host string
  scheme string
  httpHeaders []HTTPHeader listType=atomic
}

type HTTPHeader {
  name string required
  value string required
}

type TCPSocketAction {
  port IntOrString required
  host string
}

type GRPCAction {
  port int32 required
  service string
}

type Lifecycle {
  postStart LifecycleHandler
  preStop LifecycleHandler
  stopSignal string
}

type LifecycleHandler {
  exec ExecAction
  httpGet HTTPGetAction
  tcpSocket TCPSocketAction
  sleep SleepAction
}

type SleepAction {
  seconds int64 required
}

// ---- volumes -------------------------------------------------------------------------------

type Volume {
  name string required
  VolumeSource
}

type VolumeSource {
  hostPath HostPathVolumeSource
  emptyDir EmptyDirVolumeSource
  gcePersistentDisk any
  awsElasticBlockStore any
  gitRepo any
  secret SecretVolumeSource
  nfs NFSVolumeSource
  iscsi any
  glusterfs any
  persistentVolumeClaim PersistentVolumeClaimVolumeSource
  rbd any
  flexVolume any
  cinder any
  cephfs any
  flocker any
  downwardAPI DownwardAPIVolumeSource
  fc any
  azureFile any
  configMap ConfigMapVolumeSource
  vsphereVolume any
  quobyte any
  azureDisk any
  photonPersistentDisk any
  projected ProjectedVolumeSource
  portworxVolume any
  scaleIO any
  storageos any
  csi CSIVolumeSource
  ephemeral EphemeralVolumeSource
  image ImageVolumeSource
}

type HostPathVolumeSource {
  path string required
  type string
}

type EmptyDirVolumeSource {
  medium string
  sizeLimit Quantity
}

type KeyToPath {
  key string required
  path string required
  mode int32
}

type SecretVolumeSource {
  secretName string
  items []KeyToPath listType=atomic
  defaultMode int32
  optional bool
}

type ConfigMapVolumeSource {
  LocalObjectReference
  items []KeyToPath listType=atomic
  defaultMode int32
  optional bool
}

type NFSVolumeSource {
  server string required
  path string required
  readOnly bool
}

type PersistentVolumeClaimVolumeSource {
  claimName string required
  readOnly bool
}

type DownwardAPIVolumeSource {
  items []DownwardAPIVolumeFile listType=atomic
  defaultMode int32
}

type DownwardAPIVolumeFile {
  path string required
  fieldRef ObjectFieldSelector
  resourceFieldRef ResourceFieldSelector
  mode int32
}

type ProjectedVolumeSource {
  sources []VolumeProjection listType=atomic
  defaultMode int32
}

type VolumeProjection {
  secret SecretProjection
  downwardAPI DownwardAPIProjection
  configMap ConfigMapProjection
  serviceAccountToken ServiceAccountTokenProjection
  clusterTrustBundle ClusterTrustBundleProjection
}

type SecretProjection {
  LocalObjectReference
  items []KeyToPath listType=atomic
  optional bool
}

type ConfigMapProjection {
  LocalObjectReference
  items []KeyToPath listType=atomic
  optional bool
}

type DownwardAPIProjection {
  items []DownwardAPIVolumeFile listType=atomic
}

type ServiceAccountTokenProjection {
  audience string
  expirationSeconds int64
  path string required
}

type ClusterTrustBundleProjection {
  name string
  signerName string
  labelSelector meta.LabelSelector
  optional bool
  path string required
}

type CSIVolumeSource {
  driver string required
  readOnly bool
  fsType string
  volumeAttributes map[string]string
  nodePublishSecretRef LocalObjectReference
}

type EphemeralVolumeSource {
  volumeClaimTemplate PersistentVolumeClaimTemplate
}

type PersistentVolumeClaimTemplate {
  metadata meta.ObjectMeta
  spec PersistentVolumeClaimSpec required
}

type ImageVolumeSource {
  reference string
  pullPolicy PullPolicy
}

// ---- pod status ----------------------------------------------------------------------------

type PodStatus {
  observedGeneration int64
  phase string
  conditions []PodCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  message string
  reason string
  nominatedNodeName string
  hostIP string
  hostIPs []HostIP patchStrategy=merge patchMergeKey=ip listType=atomic
  podIP string
  podIPs []PodIP patchStrategy=merge patchMergeKey=ip listType=map listMapKeys=ip
  startTime Time
  initContainerStatuses []ContainerStatus listType=atomic
  containerStatuses []ContainerStatus listType=atomic
  qosClass string
  ephemeralContainerStatuses []ContainerStatus listType=atomic
  resize string
  resourceClaimStatuses []PodResourceClaimStatus patchStrategy=merge,retainKeys patchMergeKey=name listType=map listMapKeys=name
}

type PodCondition {
  type string required
  observedGeneration int64
  status string required
  lastProbeTime Time
  lastTransitionTime Time
  reason string
  message string
}

type HostIP {
  ip string required
}

type PodIP {
  ip string required
}

type PodResourceClaimStatus {
  name string required
  resourceClaimName string
}

type ContainerStatus {
  name string required
  state ContainerState
  lastState ContainerState
  ready bool required
  restartCount int32 required
  image string required
  imageID string required
  containerID string
  started bool
  allocatedResources ResourceList
  resources ResourceRequirements
  volumeMounts []VolumeMountStatus patchStrategy=merge patchMergeKey=mountPath listType=map listMapKeys=mountPath
  user ContainerUser
  allocatedResourcesStatus []ResourceStatus patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  stopSignal string
}

type ContainerState {
  waiting ContainerStateWaiting
  running ContainerStateRunning
  terminated ContainerStateTerminated
}

type ContainerStateWaiting {
  reason string
  message string
}

type ContainerStateRunning {
  startedAt Time
}

type ContainerStateTerminated {
  exitCode int32 required
  signal int32
  reason string
  message string
  startedAt Time
  finishedAt Time
  containerID string
}

type VolumeMountStatus {
  name string required
  mountPath string required
  readOnly bool
  recursiveReadOnly string
}

type ContainerUser {
  linux LinuxContainerUser
}

type LinuxContainerUser {
  uid int64 required
  gid int64 required
  supplementalGroups []int64 listType=atomic
}

type ResourceStatus {
  name string required
  resources []ResourceHealth listType=map listMapKeys=resourceID
}

type ResourceHealth {
  resourceID string required
  health string
}

type Binding {
  meta.TypeMeta
  metadata meta.ObjectMeta
  target ObjectReference required
}

// ---- Node ----------------------------------------------------------------------------------

type Node {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec NodeSpec
  status NodeStatus
}

type NodeSpec {
  podCIDR string
  podCIDRs []string patchStrategy=merge listType=set
  providerID string
  unschedulable bool
  taints []Taint listType=atomic
  configSource any
  externalID string
}

type Taint {
  key string required
  value string
  effect string required
  timeAdded Time
}

type NodeStatus {
  capacity ResourceList
  allocatable ResourceList
  phase string
  conditions []NodeCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  addresses []NodeAddress patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  daemonEndpoints NodeDaemonEndpoints
  nodeInfo NodeSystemInfo
  images []ContainerImage listType=atomic
  volumesInUse []string listType=atomic
  volumesAttached []AttachedVolume listType=atomic
  config any
  runtimeHandlers []NodeRuntimeHandler listType=atomic
  features NodeFeatures
}

type NodeCondition {
  type string required
  status string required
  lastHeartbeatTime Time
  lastTransitionTime Time
  reason string
  message string
}

type NodeAddress {
  type string required
  address string required
}

type NodeDaemonEndpoints {
  kubeletEndpoint DaemonEndpoint
}

// The one Kubernetes field whose JSON name is capitalized.
type DaemonEndpoint {
  Port int32 required
}

type NodeSystemInfo {
  machineID string required
  systemUUID string required
  bootID string required
  kernelVersion string required
  osImage string required
  containerRuntimeVersion string required
  kubeletVersion string required
  kubeProxyVersion string required
  operatingSystem string required
  architecture string required
  swap NodeSwapStatus
}

type NodeSwapStatus {
  capacity int64
}

type ContainerImage {
  names []string listType=atomic
  sizeBytes int64
}

type AttachedVolume {
  name string required
  devicePath string required
}

type NodeRuntimeHandler {
  name string
  features NodeRuntimeHandlerFeatures
}

type NodeRuntimeHandlerFeatures {
  recursiveReadOnlyMounts bool
  userNamespaces bool
}

type NodeFeatures {
  supplementalGroupsPolicy bool
}

// ---- Service, Endpoints --------------------------------------------------------------------

type Service {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec ServiceSpec
  status ServiceStatus
}

type ServiceSpec {
  ports []ServicePort patchStrategy=merge patchMergeKey=port listType=map listMapKeys=port,protocol
  selector map[string]string
  clusterIP string
  clusterIPs []string listType=atomic
  type string
  externalIPs []string listType=atomic
  sessionAffinity string
  loadBalancerIP string
  loadBalancerSourceRanges []string listType=atomic
  externalName string
  externalTrafficPolicy string
  healthCheckNodePort int32
  publishNotReadyAddresses bool
  sessionAffinityConfig SessionAffinityConfig
  ipFamilies []string listType=atomic
  ipFamilyPolicy string
  allocateLoadBalancerNodePorts bool
  loadBalancerClass string
  internalTrafficPolicy string
  trafficDistribution string
}

type ServicePort {
  name string
  protocol Protocol
  appProtocol string
  port int32 required
  targetPort IntOrString
  nodePort int32
}

type SessionAffinityConfig {
  clientIP ClientIPConfig
}

type ClientIPConfig {
  timeoutSeconds int32
}

type ServiceStatus {
  loadBalancer LoadBalancerStatus
  conditions []meta.Condition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type LoadBalancerStatus {
  ingress []LoadBalancerIngress listType=atomic
}

type LoadBalancerIngress {
  ip string
  hostname string
  ipMode string
  ports []PortStatus listType=atomic
}

type PortStatus {
  port int32 required
  protocol Protocol required
  error string
}

type Endpoints {
  meta.TypeMeta
  metadata meta.ObjectMeta
  subsets []EndpointSubset listType=atomic
}

type EndpointSubset {
  addresses []EndpointAddress listType=atomic
  notReadyAddresses []EndpointAddress listType=atomic
  ports []EndpointPort listType=atomic
}

type EndpointAddress {
  ip string required
  hostname string
  nodeName string
  targetRef ObjectReference
}

type EndpointPort {
  name string
  port int32 required
  protocol Protocol
  appProtocol string
}

// ---- Event ---------------------------------------------------------------------------------

type Event {
  meta.TypeMeta
  metadata meta.ObjectMeta required
  involvedObject ObjectReference required
  reason string
  message string
  source EventSource
  firstTimestamp Time
  lastTimestamp Time
  count int32
  type string
  eventTime MicroTime
  series EventSeries
  action string
  related ObjectReference
  reportingComponent string
  reportingInstance string
}

type EventSource {
  component string
  host string
}

type EventSeries {
  count int32
  lastObservedTime MicroTime
}

// ---- ConfigMap, Secret, ServiceAccount -----------------------------------------------------

type ConfigMap {
  meta.TypeMeta
  metadata meta.ObjectMeta
  immutable bool
  data map[string]string
  binaryData map[string]bytes
}

type Secret {
  meta.TypeMeta
  metadata meta.ObjectMeta
  immutable bool
  data map[string]bytes
  stringData map[string]string
  type string
}

type ServiceAccount {
  meta.TypeMeta
  metadata meta.ObjectMeta
  secrets []ObjectReference patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  imagePullSecrets []LocalObjectReference listType=atomic
  automountServiceAccountToken bool
}

// ---- storage -------------------------------------------------------------------------------

type PersistentVolume {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec PersistentVolumeSpec
  status PersistentVolumeStatus
}

type PersistentVolumeSpec {
  capacity ResourceList
  PersistentVolumeSource
  accessModes []string listType=atomic
  claimRef ObjectReference
  persistentVolumeReclaimPolicy string
  storageClassName string
  mountOptions []string listType=atomic
  volumeMode string
  nodeAffinity VolumeNodeAffinity
  volumeAttributesClassName string
}

type PersistentVolumeSource {
  gcePersistentDisk any
  awsElasticBlockStore any
  hostPath HostPathVolumeSource
  glusterfs any
  nfs NFSVolumeSource
  rbd any
  iscsi any
  cinder any
  cephfs any
  fc any
  flocker any
  flexVolume any
  azureFile any
  vsphereVolume any
  quobyte any
  azureDisk any
  photonPersistentDisk any
  portworxVolume any
  scaleIO any
  local LocalVolumeSource
  storageos any
  csi CSIPersistentVolumeSource
}

type LocalVolumeSource {
  path string required
  fsType string
}

type CSIPersistentVolumeSource {
  driver string required
  volumeHandle string required
  readOnly bool
  fsType string
  volumeAttributes map[string]string
  controllerPublishSecretRef SecretReference
  nodeStageSecretRef SecretReference
  nodePublishSecretRef SecretReference
  controllerExpandSecretRef SecretReference
  nodeExpandSecretRef SecretReference
}

type VolumeNodeAffinity {
  required NodeSelector
}

type PersistentVolumeStatus {
  phase string
  message string
  reason string
  lastPhaseTransitionTime Time
}

type PersistentVolumeClaim {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec PersistentVolumeClaimSpec
  status PersistentVolumeClaimStatus
}

type PersistentVolumeClaimSpec {
  accessModes []string listType=atomic
  selector meta.LabelSelector
  resources VolumeResourceRequirements
  volumeName string
  storageClassName string
  volumeMode string
  dataSource TypedLocalObjectReference
  dataSourceRef TypedObjectReference
  volumeAttributesClassName string
}

type VolumeResourceRequirements {
  limits ResourceList
  requests ResourceList
}

type PersistentVolumeClaimStatus {
  phase string
  accessModes []string listType=atomic
  capacity ResourceList
  conditions []PersistentVolumeClaimCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  allocatedResources ResourceList
  allocatedResourceStatuses map[string]string
  currentVolumeAttributesClassName string
  modifyVolumeStatus ModifyVolumeStatus
}

type PersistentVolumeClaimCondition {
  type string required
  status string required
  lastProbeTime Time
  lastTransitionTime Time
  reason string
  message string
}

type ModifyVolumeStatus {
  targetVolumeAttributesClassName string
  status string required
}

type TopologySelectorTerm {
  matchLabelExpressions []TopologySelectorLabelRequirement listType=atomic
}

type TopologySelectorLabelRequirement {
  key string required
  values []string required listType=atomic
}

kind "" v1 Namespace Namespace
kind "" v1 Pod Pod
kind "" v1 Binding Binding
kind "" v1 Node Node
kind "" v1 Service Service
kind "" v1 Endpoints Endpoints
kind "" v1 Event Event
kind "" v1 ConfigMap ConfigMap
kind "" v1 Secret Secret
kind "" v1 ServiceAccount ServiceAccount
kind "" v1 PersistentVolume PersistentVolume
kind "" v1 PersistentVolumeClaim PersistentVolumeClaim

// ============================================================================================
package apps io.k8s.api.apps.v1
// ============================================================================================

type Deployment {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec DeploymentSpec
  status DeploymentStatus
}

type DeploymentSpec {
  replicas int32
  selector meta.LabelSelector required
  template core.PodTemplateSpec required
  strategy DeploymentStrategy patchStrategy=retainKeys
  minReadySeconds int32
  revisionHistoryLimit int32
  paused bool
  progressDeadlineSeconds int32
}

type DeploymentStrategy {
  type string
  rollingUpdate RollingUpdateDeployment
}

type RollingUpdateDeployment {
  maxUnavailable IntOrString
  maxSurge IntOrString
}

type DeploymentStatus {
  observedGeneration int64
  replicas int32
  updatedReplicas int32
  readyReplicas int32
  availableReplicas int32
  unavailableReplicas int32
  terminatingReplicas int32
  conditions []DeploymentCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  collisionCount int32
}

type DeploymentCondition {
  type string required
  status string required
  lastUpdateTime Time
  lastTransitionTime Time
  reason string
  message string
}

type ReplicaSet {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec ReplicaSetSpec
  status ReplicaSetStatus
}

type ReplicaSetSpec {
  replicas int32
  minReadySeconds int32
  selector meta.LabelSelector required
  template core.PodTemplateSpec
}

type ReplicaSetStatus {
  replicas int32 required
  fullyLabeledReplicas int32
  readyReplicas int32
  availableReplicas int32
  terminatingReplicas int32
  observedGeneration int64
  conditions []ReplicaSetCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type ReplicaSetCondition {
  type string required
  status string required
  lastTransitionTime Time
  reason string
  message string
}

kind apps v1 Deployment Deployment
kind apps v1 ReplicaSet ReplicaSet

// ============================================================================================
package autoscalingv1 io.k8s.api.autoscaling.v1
// ============================================================================================

type Scale {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec ScaleSpec
  status ScaleStatus
}

type ScaleSpec {
  replicas int32
}

type ScaleStatus {
  replicas int32 required
  selector string
}

type CrossVersionObjectReference {
  kind string required
  name string required
  apiVersion string
}

type HorizontalPodAutoscaler {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec HorizontalPodAutoscalerSpec
  status HorizontalPodAutoscalerStatus
}

type HorizontalPodAutoscalerSpec {
  scaleTargetRef CrossVersionObjectReference required
  minReplicas int32
  maxReplicas int32 required
  targetCPUUtilizationPercentage int32
}

type HorizontalPodAutoscalerStatus {
  observedGeneration int64
  lastScaleTime Time
  currentReplicas int32 required
  desiredReplicas int32 required
  currentCPUUtilizationPercentage int32
}

kind autoscaling v1 Scale Scale
kind autoscaling v1 HorizontalPodAutoscaler HorizontalPodAutoscaler

// ============================================================================================
package autoscalingv2 io.k8s.api.autoscaling.v2
// ============================================================================================

type HorizontalPodAutoscaler {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec HorizontalPodAutoscalerSpec
  status HorizontalPodAutoscalerStatus
}

type HorizontalPodAutoscalerSpec {
  scaleTargetRef CrossVersionObjectReference required
  minReplicas int32
  maxReplicas int32 required
  metrics []MetricSpec listType=atomic
  behavior HorizontalPodAutoscalerBehavior
}

type CrossVersionObjectReference {
  kind string required
  name string required
  apiVersion string
}

type MetricSpec {
  type string required
  object ObjectMetricSource
  pods PodsMetricSource
  resource ResourceMetricSource
  containerResource ContainerResourceMetricSource
  external ExternalMetricSource
}

type ObjectMetricSource {
  describedObject CrossVersionObjectReference required
  target MetricTarget required
  metric MetricIdentifier required
}

type PodsMetricSource {
  metric MetricIdentifier required
  target MetricTarget required
}

type ResourceMetricSource {
  name string required
  target MetricTarget required
}

type ContainerResourceMetricSource {
  name string required
  target MetricTarget required
  container string required
}

type ExternalMetricSource {
  metric MetricIdentifier required
  target MetricTarget required
}

type MetricIdentifier {
  name string required
  selector meta.LabelSelector
}

type MetricTarget {
  type string required
  value Quantity
  averageValue Quantity
  averageUtilization int32
}

type HorizontalPodAutoscalerBehavior {
  scaleUp HPAScalingRules
  scaleDown HPAScalingRules
}

type HPAScalingRules {
  stabilizationWindowSeconds int32
  selectPolicy string
  policies []HPAScalingPolicy listType=atomic
  tolerance Quantity
}

type HPAScalingPolicy {
  type string required
  value int32 required
  periodSeconds int32 required
}

type HorizontalPodAutoscalerStatus {
  observedGeneration int64
  lastScaleTime Time
  currentReplicas int32
  desiredReplicas int32 required
  currentMetrics []MetricStatus listType=atomic
  conditions []HorizontalPodAutoscalerCondition patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type MetricStatus {
  type string required
  object ObjectMetricStatus
  pods PodsMetricStatus
  resource ResourceMetricStatus
  containerResource ContainerResourceMetricStatus
  external ExternalMetricStatus
}

type ObjectMetricStatus {
  metric MetricIdentifier required
  current MetricValueStatus required
  describedObject CrossVersionObjectReference required
}

type PodsMetricStatus {
  metric MetricIdentifier required
  current MetricValueStatus required
}

type ResourceMetricStatus {
  name string required
  current MetricValueStatus required
}

type ContainerResourceMetricStatus {
  name string required
  current MetricValueStatus required
  container string required
}

type ExternalMetricStatus {
  metric MetricIdentifier required
  current MetricValueStatus required
}

type MetricValueStatus {
  value Quantity
  averageValue Quantity
  averageUtilization int32
}

type HorizontalPodAutoscalerCondition {
  type string required
  status string required
  lastTransitionTime Time
  reason string
  message string
}

kind autoscaling v2 HorizontalPodAutoscaler HorizontalPodAutoscaler

// ============================================================================================
package batch io.k8s.api.batch.v1
// ============================================================================================

type Job {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec JobSpec
  status JobStatus
}

type JobSpec {
  parallelism int32
  completions int32
  activeDeadlineSeconds int64
  podFailurePolicy PodFailurePolicy
  successPolicy SuccessPolicy
  backoffLimit int32
  backoffLimitPerIndex int32
  maxFailedIndexes int32
  selector meta.LabelSelector
  manualSelector bool
  template core.PodTemplateSpec required
  ttlSecondsAfterFinished int32
  completionMode string
  suspend bool
  podReplacementPolicy string
  managedBy string
}

type PodFailurePolicy {
  rules []PodFailurePolicyRule required listType=atomic
}

type PodFailurePolicyRule {
  action string required
  onExitCodes PodFailurePolicyOnExitCodesRequirement
  onPodConditions []PodFailurePolicyOnPodConditionsPattern listType=atomic
}

type PodFailurePolicyOnExitCodesRequirement {
  containerName string
  operator string required
  values []int32 required listType=set
}

type PodFailurePolicyOnPodConditionsPattern {
  type string required
  status string
}

type SuccessPolicy {
  rules []SuccessPolicyRule required listType=atomic
}

type SuccessPolicyRule {
  succeededIndexes string
  succeededCount int32
}

type JobStatus {
  conditions []JobCondition patchStrategy=merge patchMergeKey=type listType=atomic
  startTime Time
  completionTime Time
  active int32
  succeeded int32
  failed int32
  terminating int32
  completedIndexes string
  failedIndexes string
  uncountedTerminatedPods UncountedTerminatedPods
  ready int32
}

type JobCondition {
  type string required
  status string required
  lastProbeTime Time
  lastTransitionTime Time
  reason string
  message string
}

type UncountedTerminatedPods {
  succeeded []string listType=set
  failed []string listType=set
}

type CronJob {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec CronJobSpec
  status CronJobStatus
}

type CronJobSpec {
  schedule string required
  timeZone string
  startingDeadlineSeconds int64
  concurrencyPolicy string
  suspend bool
  jobTemplate JobTemplateSpec required
  successfulJobsHistoryLimit int32
  failedJobsHistoryLimit int32
}

type JobTemplateSpec {
  metadata meta.ObjectMeta
  spec JobSpec
}

type CronJobStatus {
  active []core.ObjectReference listType=atomic
  lastScheduleTime Time
  lastSuccessfulTime Time
}

kind batch v1 Job Job
kind batch v1 CronJob CronJob

// ============================================================================================
package discovery io.k8s.api.discovery.v1
// ============================================================================================

type EndpointSlice {
  meta.TypeMeta
  metadata meta.ObjectMeta
  addressType string required
  endpoints []Endpoint required listType=atomic
  ports []EndpointPort listType=atomic
}

type Endpoint {
  addresses []string required listType=set
  conditions EndpointConditions
  hostname string
  targetRef core.ObjectReference
  deprecatedTopology map[string]string
  nodeName string
  zone string
  hints EndpointHints
}

type EndpointConditions {
  ready bool
  serving bool
  terminating bool
}

type EndpointHints {
  forZones []ForZone listType=atomic
  forNodes []ForNode listType=atomic
}

type ForZone {
  name string required
}

type ForNode {
  name string required
}

type EndpointPort {
  name string
  protocol core.Protocol
  port int32
  appProtocol string
}

kind discovery.k8s.io v1 EndpointSlice EndpointSlice

// ============================================================================================
package coordination io.k8s.api.coordination.v1
// ============================================================================================

type Lease {
  meta.TypeMeta
  metadata meta.ObjectMeta
  spec LeaseSpec
}

type LeaseSpec {
  holderIdentity string
  leaseDurationSeconds int32
  acquireTime MicroTime
  renewTime MicroTime
  leaseTransitions int32
  strategy string
  preferredHolder string
}

kind coordination.k8s.io v1 Lease Lease

// ============================================================================================
package scheduling io.k8s.api.scheduling.v1
// ============================================================================================

type PriorityClass {
  meta.TypeMeta
  metadata meta.ObjectMeta
  value int32 required
  globalDefault bool
  description string
  preemptionPolicy string
}

kind scheduling.k8s.io v1 PriorityClass PriorityClass

// ============================================================================================
package storage io.k8s.api.storage.v1
// ============================================================================================

type StorageClass {
  meta.TypeMeta
  metadata meta.ObjectMeta
  provisioner string required
  parameters map[string]string
  reclaimPolicy string
  mountOptions []string listType=atomic
  allowVolumeExpansion bool
  volumeBindingMode string
  allowedTopologies []core.TopologySelectorTerm listType=atomic
}

kind storage.k8s.io v1 StorageClass StorageClass

// ============================================================================================
package policy io.k8s.api.policy.v1
// ============================================================================================

// The body of POST pods/<name>/eviction.
type Eviction {
  meta.TypeMeta
  metadata meta.ObjectMeta
  deleteOptions meta.DeleteOptions
}

kind policy v1 Eviction Eviction
)schema";
  return kSource;
}

}  // namespace mlkube::api::internal
