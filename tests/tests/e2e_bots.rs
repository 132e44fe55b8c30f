//! The host fills empty seats with bots: they play by the same rules as
//! people, from their own view, and the host can remove them.

use protocol::*;
use tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_fill_seats_play_the_round_and_can_be_removed() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 12).await;
    let mut ana = join(&url, &code, "Ana", Faction::Liberals).await;

    // Only the host seats bots.
    ana.refused(
        ClientRequest::AddBot { faction: None },
        ErrorCode::Forbidden,
    )
    .await;
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Soviet),
    })
    .await;
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Bolsheviks),
    })
    .await;
    host.ok(ClientRequest::AddBot { faction: None }).await; // the smallest faction
    let view = match host.request(ClientRequest::GetState).await {
        ServerMsg::Snapshot { view, .. } => view,
        other => panic!("{other:?}"),
    };
    let bots: Vec<&PlayerInfo> = view.players.iter().filter(|p| p.bot).collect();
    assert_eq!(bots.len(), 3, "{:?}", view.players);
    assert!(bots
        .iter()
        .all(|b| b.name.ends_with("(bot)") && b.connected));
    let soviet_bot = bots
        .iter()
        .find(|b| b.faction == Faction::Soviet)
        .unwrap()
        .id;
    let bolshevik_bot = bots
        .iter()
        .find(|b| b.faction == Faction::Bolsheviks)
        .unwrap()
        .id;

    // Ana plays; the bots act at once in each phase and say they are ready,
    // so each phase ends when Ana is ready too.
    host.ok(ClientRequest::StartGame).await;
    for _ in 0..2 {
        ana.ok(ClientRequest::SetReady { ready: true }).await; // briefing, negotiation
    }
    ana.ok(ClientRequest::TableMotion {
        motion: Motion::CivilLiberties,
    })
    .await;
    ana.ok(ClientRequest::SetReady { ready: true }).await; // proposals
    ana.drain().await;
    let civil = ana
        .events
        .iter()
        .find_map(|(_, e)| match e {
            GameEvent::MotionTabled { motion } if motion.motion == Motion::CivilLiberties => {
                Some(motion.id)
            }
            _ => None,
        })
        .expect("Ana's motion");
    ana.ok(ClientRequest::Vote {
        motion: civil,
        vote: Vote::Yes,
    })
    .await;
    ana.ok(ClientRequest::SetReady { ready: true }).await; // voting
    let closed = ana
        .wait_for(|e| matches!(e, GameEvent::VotesClosed { .. }))
        .await;
    let GameEvent::VotesClosed { results } = closed else {
        unreachable!()
    };
    // The bots tabled Soviet resolutions and voted on them.
    let bot_votes: Vec<&RollCallEntry> = results
        .iter()
        .flat_map(|r| r.tally.roll_call.iter())
        .filter(|c| c.player == soviet_bot || c.player == bolshevik_bot)
        .collect();
    assert!(!bot_votes.is_empty(), "the bots voted: {results:?}");
    assert!(
        ana.saw(|e| matches!(e, GameEvent::MotionTabled { motion } if motion.proposer == soviet_bot || motion.proposer == bolshevik_bot)),
        "the bots tabled motions"
    );
    ana.ok(ClientRequest::SetReady { ready: true }).await; // resolution
    ana.wait_for(|e| matches!(e, GameEvent::PhaseStarted { round: 2, .. }))
        .await;
    // What the bots did shows in the resolution, like anyone's actions.
    assert!(ana.saw(|e| matches!(e, GameEvent::Resolved { actions, .. } if actions.iter().any(|a| a.faction == Faction::Bolsheviks && !a.actions.is_empty()))));

    // The host removes a bot like any player.
    host.ok(ClientRequest::Kick {
        player: bolshevik_bot,
        reason: Some("A student arrived".into()),
    })
    .await;
    let view = match host.request(ClientRequest::GetState).await {
        ServerMsg::Snapshot { view, .. } => view,
        other => panic!("{other:?}"),
    };
    assert!(view.players.iter().all(|p| p.id != bolshevik_bot));
    assert_eq!(view.players.iter().filter(|p| p.bot).count(), 2);
}
