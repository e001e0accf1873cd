/// The architectures of the course's case studies, built from layers. Each
/// takes its parameters from ``ModelWeights`` (seeded random ones by
/// default) and returns a ``Graph`` whose parameter count matches the
/// published (or Keras') figure.
public enum CaseStudies {}
