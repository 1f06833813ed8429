//! Production from GitHub deployments: the newest deployment for an
//! environment whose latest status is `success`.

use serde::Deserialize;

use super::GitHub;
use crate::forge::{encode_segment, ForgeError};

/// How many of an environment's newest deployments are looked at.
const DEPLOYMENTS_READ: usize = 100;

/// A deployment production runs, with what proves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionDeployment {
    pub id: u64,
    /// The commit deployed.
    pub sha: String,
    /// The deployment's API URL (`url`), which names it for the evidence.
    pub url: String,
    /// The latest status's `environment_url`, when the deployment set one.
    pub environment_url: Option<String>,
    /// When the latest (`success`) status was created.
    pub deployed_at: String,
}

/// The fields of "List deployments" (docs.github.com/rest/deployments/deployments#list-deployments) read.
#[derive(Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
    url: String,
}

/// The fields of "List deployment statuses" (docs.github.com/rest/deployments/statuses#list-deployment-statuses) read.
#[derive(Deserialize)]
struct DeploymentStatus {
    state: String,
    environment_url: Option<String>,
    created_at: String,
}

impl GitHub {
    /// Returns the newest deployment to `environment` whose latest status is
    /// `success`, among the newest hundred; a newer one whose latest status
    /// is anything else (failure, error, in_progress, inactive) is skipped.
    pub fn production_deployment(&self, environment: &str) -> Result<Option<ProductionDeployment>, ForgeError> {
        // GET /repos/{owner}/{repo}/deployments?environment=: docs.github.com/rest/deployments/deployments#list-deployments
        // (newest first).
        let deployments: Vec<Deployment> = self.client.get_json(&format!(
            "{}/deployments?environment={}&per_page={DEPLOYMENTS_READ}",
            self.repo_path(),
            encode_segment(environment)
        ))?;
        for deployment in deployments {
            // GET .../deployments/{deployment_id}/statuses: docs.github.com/rest/deployments/statuses#list-deployment-statuses
            // (newest first, so one is the latest).
            let statuses: Vec<DeploymentStatus> = self.client.get_json(&format!(
                "{}/deployments/{}/statuses?per_page=1",
                self.repo_path(),
                deployment.id
            ))?;
            if let Some(latest) = statuses.into_iter().next().filter(|s| s.state == "success") {
                return Ok(Some(ProductionDeployment {
                    id: deployment.id,
                    sha: deployment.sha,
                    url: deployment.url,
                    environment_url: latest.environment_url.filter(|u| !u.is_empty()),
                    deployed_at: latest.created_at,
                }));
            }
        }
        Ok(None)
    }
}
