"""Server-rendered pages for reviewers and admins, plus operational endpoints."""
