//! The error responses plugins' routes share, for their OpenAPI descriptions (each route adds
//! its own, such as its 404, with `posey_http::error_responses!`).

posey_http::error_responses! { schema = "Error";
    /// A route for a person's access token.
    NeedsPerson {
        "401" => "No valid access token",
        "403" => "A service token, not a person's",
    }
    /// A route whose body's fields are checked.
    BadFields {
        "422" => "Bad fields, each named",
    }
    /// A route with fields or parameters to check.
    BadInput {
        "422" => "Bad fields or parameters, each named",
    }
    /// A paged list.
    BadPage {
        "422" => "A `limit` or `offset` that is not a number",
    }
}
