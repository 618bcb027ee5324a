use actix_web::{App, HttpRequest, HttpResponse, Responder, get, web};
use auth_core::{
    Decision, Policy, Principal, RequireAuth, Requirement, Scheme, SchemeSet, policy, require_auth,
};

fn plain(user: &Principal, _: &HttpRequest) -> Decision {
    user.subject().is_some().into()
}

mod policies {
    use super::*;

    pub async fn in_team(user: &Principal, req: &HttpRequest) -> Decision {
        let team = req.match_info().get("team");
        (team.is_some() && user.claim("team").and_then(|t| t.as_str()) == team).into()
    }
}

// A plain fn, above `#[get]`.
#[require_auth(scheme = "bearer", scope = "orders:read", policy = plain)]
#[get("/orders/{id}")]
async fn order(id: web::Path<u64>) -> impl Responder {
    format!("order {id}")
}

// An async fn by a module path, below `#[get]`, with step-up and `crate`.
#[get("/teams/{team}")]
#[require_auth(
    scheme = "bearer",
    acr = "mfa",
    policy = self::policies::in_team,
    crate = "::auth_core"
)]
async fn team_page(user: Principal) -> impl Responder {
    format!("{:?}", user.subject())
}

// Two policies on one handler: both apply.
#[require_auth(policy = plain)]
#[require_auth(policy = policies::in_team)]
async fn both() -> &'static str {
    "both"
}

// The struct form.
#[require_auth(scheme = "bearer", policy = policies::in_team)]
struct TeamMember(Principal);

#[get("/members/{team}")]
async fn member(TeamMember(user): TeamMember) -> impl Responder {
    format!("{:?}", user.subject())
}

// A hand-written requirement for the scope-wide guard.
const IN_TEAM: Policy = policy!(policies::in_team);
const TEAM: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_policy(IN_TEAM);

pub(crate) fn run() {
    let _app = App::new()
        .service(order)
        .service(team_page)
        .service(member)
        .route("/both", web::get().to(both))
        .service(
            web::scope("/t/{team}")
                .wrap(RequireAuth::new(&TEAM))
                .default_service(web::to(HttpResponse::Ok)),
        );
}
